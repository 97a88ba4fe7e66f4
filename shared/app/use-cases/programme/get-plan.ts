import { TriageError } from '../../../domain/errors';
import { burnDown, type DayActual, type PlanView } from '../../../domain/scheduling/burn-down';
import type { PlanResult } from '../../../domain/scheduling/plan-types';
import type { AppContext } from '../../context';
import type { DayRecord } from '../../ports/programme';

/** Per-day actuals as the burn-down takes them. */
export function actualsOf(days: readonly DayRecord[]): DayActual[] {
  const out: DayActual[] = [];
  for (const day of days) {
    for (const tier of new Set([...Object.keys(day.done), ...Object.keys(day.failed)])) {
      out.push({ date: day.date, tier, done: day.done[tier] ?? 0, failed: day.failed[tier] ?? 0 });
    }
  }
  return out;
}

export type PlanAnswer = PlanView & { computedAt: string; planVersion: number };

/**
 * GET /api/plan — plan versus actual: per day and tier planned and done, projected finish (overall and per
 * tier) against the deadline, not-ready work. Served from the last plan (re-run on every change) and the
 * live actuals.
 * @throws TriageError `not-found` while there is no calendar.
 */
export async function getPlan(ctx: AppContext): Promise<PlanAnswer> {
  const [state, stored, days] = await Promise.all([
    ctx.ports.programme.getState(),
    ctx.ports.programme.loadPlan(),
    ctx.ports.programme.listDays(),
  ]);
  if (!state) throw new TriageError('not-found', 'no calendar: nothing is planned');
  const summary = (stored?.summary ?? null) as
    (Omit<PlanResult, 'requests'> & { mailboxesByTier: Record<string, number> }) | null;
  const plan: PlanResult = summary
    ? { ...summary, requests: [] }
    : {
        firstDay: state.calendar.start,
        tiers: [...ctx.tiers.names],
        requests: [],
        days: [],
        projectedFinish: null,
        byTier: {},
        notReady: { organisations: 0, mailboxes: 0 },
        unplanned: { requests: 0, mailboxes: 0, byReason: {} },
        stoppedBecause: 'done',
        lastDayConsidered: state.calendar.start,
      };
  const view = burnDown(
    plan,
    state.calendar,
    actualsOf(days),
    summary ? { mailboxesByTier: summary.mailboxesByTier } : {},
  );
  return {
    ...view,
    computedAt: new Date(stored?.computedAtMs ?? ctx.clock().getTime()).toISOString(),
    planVersion: stored?.version ?? 0,
  };
}
