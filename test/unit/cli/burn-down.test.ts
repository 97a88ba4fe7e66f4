import fc from 'fast-check';
import { weekOf, weeklyBurnDown, type PlanView } from '../../../cli/burn-down';
import { renderPlan } from '../../../cli/commands/programme';

/** A plan in the shape GET /api/plan documents (issue 9). */
const plan: PlanView = {
  deadline: '2027-06-30',
  projectedFinish: '2026-12-16',
  onTrack: true,
  byTier: {
    health: { mailboxes: 30, done: 10, failed: 0, projectedFinish: '2026-12-08' },
    standard: { mailboxes: 50, done: 0, failed: 0, projectedFinish: '2026-12-16' },
  },
  days: [
    {
      date: '2026-12-07',
      dayType: 'weekday',
      cap: { mailboxes: 100, bytes: 1e12 },
      planned: { health: 20, standard: 0 },
      actual: { health: 10 },
    },
    {
      date: '2026-12-08',
      dayType: 'weekday',
      cap: { mailboxes: 100, bytes: 1e12 },
      planned: { health: 10, standard: 10 },
      actual: {},
    },
    {
      date: '2026-12-14',
      dayType: 'weekday',
      cap: { mailboxes: 100, bytes: 1e12 },
      planned: { standard: 30 },
      actual: {},
    },
    {
      date: '2026-12-16',
      dayType: 'weekday',
      cap: { mailboxes: 100, bytes: 1e12 },
      planned: { standard: 10 },
      actual: {},
    },
  ],
  notReady: { organisations: 3, mailboxes: 120 },
};

describe('the weekly burn-down', () => {
  test('weeks start on Monday and every day of a week maps to it', () => {
    expect(weekOf('2026-12-07')).toBe('2026-12-07');
    expect(weekOf('2026-12-13')).toBe('2026-12-07');
    expect(weekOf('2026-12-14')).toBe('2026-12-14');
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        (d) => {
          const date = d.toISOString().slice(0, 10);
          const monday = weekOf(date);
          expect(new Date(`${monday}T00:00:00Z`).getUTCDay()).toBe(1);
          expect(Date.parse(date) - Date.parse(monday)).toBeLessThan(7 * 86_400_000);
        },
      ),
    );
  });

  test('planned and actual per week and tier, and what is left after each', () => {
    expect(weeklyBurnDown(plan)).toEqual([
      {
        week: '2026-12-07',
        tier: 'health',
        planned: 30,
        actual: 10,
        remainingPlanned: 0,
        remainingActual: 20,
      },
      {
        week: '2026-12-07',
        tier: 'standard',
        planned: 10,
        actual: 0,
        remainingPlanned: 40,
        remainingActual: 50,
      },
      {
        week: '2026-12-14',
        tier: 'standard',
        planned: 40,
        actual: 0,
        remainingPlanned: 0,
        remainingActual: 50,
      },
    ]);
    const text = renderPlan(plan);
    expect(text).toMatch(/projected finish\s*│ 2026-12-16/);
    expect(text).toMatch(/not ready\s*│ 3 organisations, 120 mailboxes/);
    expect(text).toMatch(/2026-12-14 │ standard │ 40/);
  });
});
