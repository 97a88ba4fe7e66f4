import { capOf, firstPlannableDay } from '../../../../shared/domain/scheduling/calendar';
import { planProgramme } from '../../../../shared/domain/scheduling/plan';
import { nhsProgramme } from '../../../fixtures/nhs-programme';

describe('NHS programme generator (the bench’s and the scenario’s fixture)', () => {
  test('national scale: exactly 2.1 M mailboxes, 2.3 PB, 25,000 organisations; a realistic skew', () => {
    const programme = nhsProgramme();
    expect(programme.totals).toEqual({
      organisations: 25_000,
      mailboxes: 2_100_000,
      bytes: 2_300_000_000_000_000,
    });
    const sizes = programme.organisations.map((o) => o.mailboxes).sort((a, b) => b - a);
    expect(sizes[0]).toBeLessThanOrEqual(50_000);
    expect(sizes.filter((size) => size >= 2000).length).toBeGreaterThan(200);
    expect(sizes.filter((size) => size <= 2).length).toBeGreaterThan(10_000);
    const notReady = programme.organisations.filter((o) => !o.ready).length / programme.organisations.length;
    expect(notReady).toBeGreaterThan(0.28);
    expect(notReady).toBeLessThan(0.32);
    expect(new Set(programme.organisations.map((o) => o.tier)).size).toBe(4);
  });

  test('deterministic per seed, different across seeds', () => {
    expect(nhsProgramme({ scale: 0.01 })).toEqual(nhsProgramme({ scale: 0.01 }));
    expect(nhsProgramme({ scale: 0.01, seed: 7 }).claims).not.toEqual(nhsProgramme({ scale: 0.01 }).claims);
  });

  test('the 1 % scenario: 21,000 mailboxes in 250 organisations, caps scaled alike, plannable by the deadline', () => {
    const programme = nhsProgramme({ scale: 0.01, notReadyShare: 0 });
    expect(programme.totals).toEqual({ organisations: 250, mailboxes: 21_000, bytes: 23_000_000_000_000 });
    expect(capOf(programme.calendar, '2026-12-07')).toEqual({
      dayType: 'weekday',
      mailboxes: 220,
      bytes: 250e9,
    });
    const firstDay = firstPlannableDay(programme.calendar, programme.nowMs);
    expect(firstDay).toBe(programme.calendar.start);
    const plan = planProgramme({
      calendar: programme.calendar,
      tiers: programme.tiers,
      firstDay,
      frozen: [],
      claims: programme.claims,
    });
    expect(plan.stoppedBecause).toBe('done');
    expect(plan.projectedFinish! <= programme.calendar.deadline).toBe(true);
  });
});
