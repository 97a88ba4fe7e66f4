/**
 * The programme's burn-down by week, from `GET /api/plan`'s days: per week and tier, the mailboxes planned
 * and done, and what remains of the tier's total after each (planned and actual).
 */
import type { PlanView } from '../shared/domain/scheduling/burn-down';

/** The body of `GET /api/plan` (and of a what-if, with its moves): the domain's own type. */
export type { PlanView };

export interface WeekRow {
  week: string;
  tier: string;
  planned: number;
  actual: number;
  remainingPlanned: number;
  remainingActual: number;
}

/** The Monday (local date) of the week a `YYYY-MM-DD` falls in. */
export function weekOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const back = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}

/** Weekly rows in date order, then tier order as the plan lists them. */
export function weeklyBurnDown(plan: PlanView): WeekRow[] {
  const tiers = Object.keys(plan.byTier ?? {});
  for (const day of plan.days ?? [])
    for (const t of [...Object.keys(day.planned), ...Object.keys(day.actual)])
      if (!tiers.includes(t)) tiers.push(t);
  const weeks = new Map<string, Map<string, { planned: number; actual: number }>>();
  for (const day of [...(plan.days ?? [])].sort((a, b) => a.date.localeCompare(b.date))) {
    const week = weeks.get(weekOf(day.date)) ?? new Map();
    weeks.set(weekOf(day.date), week);
    for (const tier of tiers) {
      const cell = week.get(tier) ?? { planned: 0, actual: 0 };
      cell.planned += day.planned[tier] ?? 0;
      cell.actual += day.actual[tier] ?? 0;
      week.set(tier, cell);
    }
  }
  const rows: WeekRow[] = [];
  const left = new Map(tiers.map((t) => [t, { planned: total(plan, t), actual: total(plan, t) }]));
  for (const [week, cells] of weeks) {
    for (const tier of tiers) {
      const cell = cells.get(tier)!;
      const remaining = left.get(tier)!;
      if (cell.planned === 0 && cell.actual === 0) continue;
      remaining.planned -= cell.planned;
      remaining.actual -= cell.actual;
      rows.push({
        week,
        tier,
        ...cell,
        remainingPlanned: remaining.planned,
        remainingActual: remaining.actual,
      });
    }
  }
  return rows;
}

/** A tier's mailboxes: the plan's own total, or the sum of what it planned. */
function total(plan: PlanView, tier: string): number {
  return (
    plan.byTier?.[tier]?.mailboxes ?? (plan.days ?? []).reduce((sum, d) => sum + (d.planned[tier] ?? 0), 0)
  );
}
