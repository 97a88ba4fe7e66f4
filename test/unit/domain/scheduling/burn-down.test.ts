import fc from 'fast-check';
import type { MigrationCalendar } from '../../../../shared/domain/scheduling/calendar';
import { burnDown, isOnTrack } from '../../../../shared/domain/scheduling/burn-down';
import { startOfLocalDay } from '../../../../shared/domain/scheduling/local-date';
import { planProgramme } from '../../../../shared/domain/scheduling/plan';
import type { PlanInput } from '../../../../shared/domain/scheduling/plan-types';
import { arbPlanInput } from './plan-arbitraries';

const calendar: MigrationCalendar = {
  timeZone: 'Europe/London',
  start: '2026-12-07',
  deadline: '2026-12-09',
  caps: { weekday: { mailboxes: 10, bytes: 1e9 }, weekend: { mailboxes: 20, bytes: 1e9 } },
  holidays: [{ date: '2026-12-08', mailboxes: 0 }],
  reserved: {},
  requiredChecks: [],
};
const tiers = [
  { name: 'health', rank: 1 },
  { name: 'standard', rank: 2 },
];
const arrived = startOfLocalDay('2026-12-01', 'Europe/London');

function input(mailboxes: number, extra: Partial<PlanInput> = {}): PlanInput {
  return {
    calendar,
    tiers,
    firstDay: '2026-12-07',
    frozen: [
      { date: '2026-12-04', requestId: 'h1', orgId: 'h', tier: 'health', mailboxes: 4, bytes: 40 },
      { date: '2026-12-05', requestId: 'h1', orgId: 'h', tier: 'health', mailboxes: 6, bytes: 60 },
    ],
    claims: [
      {
        requestId: 'h1',
        orgId: 'h',
        tier: 'health',
        arrivedAtMs: arrived,
        mailboxes: 2,
        bytes: 20,
        ready: true,
      },
      {
        requestId: 's1',
        orgId: 's',
        tier: 'standard',
        arrivedAtMs: arrived,
        mailboxes,
        bytes: mailboxes,
        ready: true,
      },
      {
        requestId: 'n1',
        orgId: 'n',
        tier: 'standard',
        arrivedAtMs: arrived,
        mailboxes: 7,
        bytes: 7,
        ready: false,
      },
    ],
    ...extra,
  };
}

describe('burn-down (GET /api/plan)', () => {
  test('the exact shape: plan versus actual per day and tier, projected finish against the deadline', () => {
    const plan = planProgramme(input(15));
    const view = burnDown(plan, calendar, [
      { date: '2026-12-04', tier: 'health', done: 4, failed: 0 },
      { date: '2026-12-05', tier: 'health', done: 5, failed: 1 },
    ]);
    expect(view).toEqual({
      deadline: '2026-12-09',
      projectedFinish: '2026-12-09',
      onTrack: true,
      byTier: {
        health: { mailboxes: 12, done: 9, failed: 1, projectedFinish: '2026-12-07' },
        standard: { mailboxes: 22, done: 0, failed: 0, projectedFinish: '2026-12-09' },
      },
      days: [
        {
          date: '2026-12-04',
          dayType: 'weekday',
          cap: { mailboxes: 10, bytes: 1e9 },
          planned: { health: 4, standard: 0 },
          actual: { health: 4, standard: 0 },
        },
        {
          date: '2026-12-05',
          dayType: 'weekend',
          cap: { mailboxes: 20, bytes: 1e9 },
          planned: { health: 6, standard: 0 },
          actual: { health: 5, standard: 0 },
        },
        {
          date: '2026-12-06',
          dayType: 'weekend',
          cap: { mailboxes: 20, bytes: 1e9 },
          planned: { health: 0, standard: 0 },
          actual: { health: 0, standard: 0 },
        },
        {
          date: '2026-12-07',
          dayType: 'weekday',
          cap: { mailboxes: 10, bytes: 1e9 },
          planned: { health: 2, standard: 8 },
          actual: { health: 0, standard: 0 },
        },
        {
          date: '2026-12-08',
          dayType: 'holiday',
          cap: { mailboxes: 0, bytes: 1e9 },
          planned: { health: 0, standard: 0 },
          actual: { health: 0, standard: 0 },
        },
        {
          date: '2026-12-09',
          dayType: 'weekday',
          cap: { mailboxes: 10, bytes: 1e9 },
          planned: { health: 0, standard: 7 },
          actual: { health: 0, standard: 0 },
        },
      ],
      notReady: { organisations: 1, mailboxes: 7 },
    });
  });

  test('late: the projected finish after the deadline is not on track; given totals win', () => {
    const plan = planProgramme(input(40));
    const view = burnDown(plan, calendar, [], { mailboxesByTier: { health: 100 } });
    expect(view.projectedFinish).toBe('2026-12-12'); // 8 + 0 (holiday) + 10 + 10 + 10, then 2 on Saturday
    expect(view.onTrack).toBe(false);
    expect(view.byTier.health!.mailboxes).toBe(100);
  });

  test('work without capacity is never on track, whatever the dates say', () => {
    const closed = { mailboxes: 0, bytes: 0 };
    const plan = planProgramme(
      input(5, { calendar: { ...calendar, caps: { weekday: closed, weekend: closed } } }),
    );
    expect(plan.unplanned.byReason['no-capacity']).toBeDefined();
    expect(isOnTrack(plan, calendar.deadline)).toBe(false);
  });

  test('property: the series is contiguous, and its planned totals are the plan’s', () => {
    fc.assert(
      fc.property(arbPlanInput(), (generated) => {
        const plan = planProgramme(generated);
        const view = burnDown(plan, generated.calendar, []);
        for (let i = 1; i < view.days.length; i++) {
          expect(Date.parse(view.days[i]!.date) - Date.parse(view.days[i - 1]!.date)).toBe(86_400_000);
        }
        const planned = view.days.reduce(
          (s, d) => s + Object.values(d.planned).reduce((a, b) => a + b, 0),
          0,
        );
        expect(planned).toBe(plan.days.reduce((s, d) => s + d.total.mailboxes, 0));
        expect(view.onTrack).toBe(isOnTrack(plan, generated.calendar.deadline));
      }),
      { numRuns: 100 },
    );
  });
});
