/**
 * The reason in words for a request the plan cannot (fully) schedule (SCHEDULING.md rule 3: no silent
 * drops — a `deferred` request says why, and a null ETA says honestly that none can be given).
 */
import type { LocalDate } from './local-date';
import type { RequestSchedule } from './plan-types';
import { readinessReason, type ReadinessEvaluation } from './readiness';

export interface ReasonContext {
  /** The organisation's readiness, to name the failing checks of a `not-ready` request. */
  readiness?: ReadinessEvaluation;
  /** `PlanResult.lastDayConsidered`: how far the planner looked. */
  lastDayConsidered: LocalDate;
}

/** The words for a schedule's `reason`, or null when every mailbox has a day. */
export function unplannedReasonText(schedule: RequestSchedule, context: ReasonContext): string | null {
  const left = `${schedule.unplanned.mailboxes.toLocaleString('en-GB')} mailbox${schedule.unplanned.mailboxes === 1 ? '' : 'es'}`;
  switch (schedule.reason) {
    case null:
      return null;
    case 'not-ready':
      return context.readiness && !context.readiness.ready
        ? readinessReason(context.readiness)
        : 'not ready: the organisation has not passed its readiness checks';
    case 'no-capacity':
      return (
        `no capacity is expected to free up: no day of the calendar can take its remaining ${left} ` +
        '(the caps are 0, the capacity is reserved for higher tiers, or a mailbox is larger than a day’s byte cap)'
      );
    case 'beyond-horizon':
      return `no room for its remaining ${left} up to ${context.lastDayConsidered}, the furthest day planned`;
  }
}
