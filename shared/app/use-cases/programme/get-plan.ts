import { TriageError } from '../../../domain/errors';
import { burnDown, type DayActual, type PlanView } from '../../../domain/scheduling/burn-down';
import { capOf } from '../../../domain/scheduling/calendar';
import type { PlanDay, PlanResult } from '../../../domain/scheduling/plan-types';
import type { AppContext } from '../../context';
import type { DayRecord } from '../../ports/programme';

/** Per-day actuals as the burn-down takes them (a day's counters are spread over `<date>~<k>` rows). */
export function actualsOf(days: readonly DayRecord[]): DayActual[] {
  const out: DayActual[] = [];
  for (const day of days) {
    const date = day.date.split('~')[0]!;
    for (const tier of new Set([...Object.keys(day.done), ...Object.keys(day.failed)])) {
      out.push({ date, tier, done: day.done[tier] ?? 0, failed: day.failed[tier] ?? 0 });
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
  // Days already materialised are frozen: what their waves handed to batches is what was planned for them.
  const planned = new Set(plan.days.map((d) => d.date));
  const past: PlanDay[] = days
    .filter((d) => !d.date.includes('~') && !planned.has(d.date) && d.date < plan.firstDay)
    .map((d) => {
      const cap = capOf(state.calendar, d.date);
      const byTier = Object.fromEntries(
        Object.entries(d.materialized).map(([tier, n]) => [tier, { mailboxes: n, bytes: 0 }]),
      );
      const total = Object.values(d.materialized).reduce((a, b) => a + b, 0);
      return {
        date: d.date,
        dayType: cap.dayType,
        cap: { mailboxes: cap.mailboxes, bytes: cap.bytes },
        planned: byTier,
        total: { mailboxes: total, bytes: 0 },
        frozen: true,
      };
    });
  const withPast: PlanResult = {
    ...plan,
    days: [...past, ...plan.days].sort((a, b) => (a.date < b.date ? -1 : 1)),
  };
  const view = burnDown(
    withPast,
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
