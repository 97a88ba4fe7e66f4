/**
 * Plan versus actual (`GET /api/plan`): per day and per tier what was planned and what was done, the
 * projected finish per tier and overall against the deadline, and the work held back by readiness —
 * the burn-down series a page draws.
 */
import { capOf, type DayType, type MigrationCalendar } from './calendar';
import { addDays, compareLocalDates, type LocalDate } from './local-date';
import type { PlanResult } from './plan-types';

/** What the waves did on one day for one tier (mailboxes). */
export interface DayActual {
  date: LocalDate;
  tier: string;
  done: number;
  failed: number;
}

export interface PlanViewTier {
  /** The tier's mailboxes in the programme (done, failed, planned and not yet planned). */
  mailboxes: number;
  done: number;
  failed: number;
  projectedFinish: LocalDate | null;
}

export interface PlanViewDay {
  date: LocalDate;
  dayType: DayType;
  cap: { mailboxes: number; bytes: number };
  /** Mailboxes planned per tier (materialised ones included on past days). */
  planned: Record<string, number>;
  /** Mailboxes done (migrated successfully) per tier. */
  actual: Record<string, number>;
}

/** The body of `GET /api/plan`, exactly as issue 9 gives it. */
export interface PlanView {
  deadline: LocalDate;
  projectedFinish: LocalDate | null;
  onTrack: boolean;
  byTier: Record<string, PlanViewTier>;
  days: PlanViewDay[];
  notReady: { organisations: number; mailboxes: number };
}

export interface BurnDownOptions {
  /**
   * Each tier's programme total (the sum of its migration requests' mailboxes). Without it, a tier's
   * total is what the plan knows — frozen, planned and unplanned mailboxes — which is exact as long as
   * no frozen day left work over (that work then counts on its frozen day and again as a claim).
   */
  mailboxesByTier?: Record<string, number>;
}

/**
 * On track: the projected finish is on or before the deadline, and no ready work is left without a day
 * for want of capacity (`no-capacity`, `beyond-horizon`). Work held back by readiness does not count
 * against it — it is reported under `notReady` — and with nothing left to plan the programme is on track.
 */
export function isOnTrack(plan: PlanResult, deadline: LocalDate): boolean {
  const { byReason } = plan.unplanned;
  if ((byReason['no-capacity']?.mailboxes ?? 0) > 0 || (byReason['beyond-horizon']?.mailboxes ?? 0) > 0) {
    return false;
  }
  return plan.projectedFinish === null || compareLocalDates(plan.projectedFinish, deadline) <= 0;
}

/**
 * The plan-versus-actual view: every date from the first with work (planned or actual) to the last,
 * none skipped (holidays show their cap of 0), per tier planned and done; the tiers of the plan and
 * any others the actuals mention.
 * @throws RangeError on a malformed date in the actuals.
 */
export function burnDown(
  plan: PlanResult,
  calendar: MigrationCalendar,
  actuals: readonly DayActual[],
  options: BurnDownOptions = {},
): PlanView {
  const tiers = [
    ...plan.tiers,
    ...[...new Set(actuals.map((a) => a.tier))].filter((t) => !plan.tiers.includes(t)),
  ];
  const actualByDate = new Map<LocalDate, Map<string, number>>();
  const done = new Map<string, number>();
  const failed = new Map<string, number>();
  for (const actual of actuals) {
    const byTier = actualByDate.get(actual.date) ?? new Map<string, number>();
    byTier.set(actual.tier, (byTier.get(actual.tier) ?? 0) + actual.done);
    actualByDate.set(actual.date, byTier);
    done.set(actual.tier, (done.get(actual.tier) ?? 0) + actual.done);
    failed.set(actual.tier, (failed.get(actual.tier) ?? 0) + actual.failed);
  }
  const planByDate = new Map(plan.days.map((day) => [day.date, day]));

  const dates = [...planByDate.keys(), ...actualByDate.keys()].sort(compareLocalDates);
  const days: PlanViewDay[] = [];
  if (dates.length > 0) {
    const last = dates[dates.length - 1]!;
    for (let date = dates[0]!; compareLocalDates(date, last) <= 0; date = addDays(date, 1)) {
      const planned = planByDate.get(date);
      const cap = planned ? { dayType: planned.dayType, ...planned.cap } : capOf(calendar, date);
      const actual = actualByDate.get(date);
      days.push({
        date,
        dayType: cap.dayType,
        cap: { mailboxes: cap.mailboxes, bytes: cap.bytes },
        planned: Object.fromEntries(tiers.map((tier) => [tier, planned?.planned[tier]?.mailboxes ?? 0])),
        actual: Object.fromEntries(tiers.map((tier) => [tier, actual?.get(tier) ?? 0])),
      });
    }
  }

  const byTier: Record<string, PlanViewTier> = {};
  for (const tier of tiers) {
    const summary = plan.byTier[tier];
    const known = summary ? summary.frozen + summary.planned + summary.unplanned : 0;
    byTier[tier] = {
      mailboxes: options.mailboxesByTier?.[tier] ?? known,
      done: done.get(tier) ?? 0,
      failed: failed.get(tier) ?? 0,
      projectedFinish: summary?.projectedFinish ?? null,
    };
  }
  return {
    deadline: calendar.deadline,
    projectedFinish: plan.projectedFinish,
    onTrack: isOnTrack(plan, calendar.deadline),
    byTier,
    days,
    notReady: { ...plan.notReady },
  };
}
