import { capacityLowerBound, type MigrationCalendar } from '../../../../shared/domain/scheduling/calendar';
import { startOfLocalDay } from '../../../../shared/domain/scheduling/local-date';
import { planProgramme } from '../../../../shared/domain/scheduling/plan';
import { unplannedReasonText } from '../../../../shared/domain/scheduling/plan-reason';
import { evaluateReadiness } from '../../../../shared/domain/scheduling/readiness';
import type { MigrationClaim, PlanInput, PlanResult } from '../../../../shared/domain/scheduling/plan-types';
import type { TierPolicy } from '../../../../shared/domain/scheduling/waiting-line';

const day = 86_400_000;
const tiers: TierPolicy[] = [
  { name: 'health', rank: 1 },
  { name: 'government', rank: 2 },
  { name: 'standard', rank: 3 },
];
const monday = '2026-12-07';
const start = startOfLocalDay(monday, 'Europe/London');

function calendar(overrides: Partial<MigrationCalendar> = {}): MigrationCalendar {
  return {
    timeZone: 'Europe/London',
    start: monday,
    deadline: '2027-06-30',
    caps: { weekday: { mailboxes: 10, bytes: 10_000 }, weekend: { mailboxes: 20, bytes: 20_000 } },
    holidays: [],
    reserved: {},
    requiredChecks: [],
    ...overrides,
  };
}

let nextId = 0;
function claim(
  orgId: string,
  tier: string,
  mailboxes: number,
  extra: Partial<MigrationClaim> = {},
): MigrationClaim {
  nextId++;
  return {
    requestId: `r${nextId}`,
    orgId,
    tier,
    arrivedAtMs: start - 10 * day + nextId,
    mailboxes,
    bytes: mailboxes * 100,
    ready: true,
    ...extra,
  };
}

function plan(claims: MigrationClaim[], extra: Partial<PlanInput> = {}): PlanResult {
  return planProgramme({ calendar: calendar(), tiers, firstDay: monday, frozen: [], claims, ...extra });
}

const daysOf = (result: PlanResult, requestId: string): Array<[string, number]> =>
  result.requests.find((r) => r.requestId === requestId)!.days.map((d) => [d.date, d.mailboxes]);

describe('planProgramme: examples', () => {
  test('a two-person care home never waits behind a hospital’s backlog in its tier', () => {
    const hospital = claim('hospital', 'standard', 50);
    const careHome = claim('care-home', 'standard', 2);
    const result = plan([hospital, careHome]);
    expect(daysOf(result, careHome.requestId)).toEqual([['2026-12-07', 2]]);
    expect(daysOf(result, hospital.requestId)[0]).toEqual(['2026-12-07', 8]);
  });

  test('tier first: health before government before standard, each day', () => {
    const h = claim('h', 'health', 15);
    const g = claim('g', 'government', 5);
    const s = claim('s', 'standard', 5);
    const result = plan([s, g, h]);
    expect(daysOf(result, h.requestId)).toEqual([
      ['2026-12-07', 10],
      ['2026-12-08', 5],
    ]);
    expect(daysOf(result, g.requestId)).toEqual([['2026-12-08', 5]]);
    expect(daysOf(result, s.requestId)).toEqual([['2026-12-09', 5]]);
    expect(result.byTier.health!.projectedFinish).toBe('2026-12-08');
    expect(result.projectedFinish).toBe('2026-12-09');
  });

  test('a not-ready organisation keeps its place: nothing until ready, then the longest waiting', () => {
    const early = claim('early', 'standard', 30, { ready: false, readyFrom: '2026-12-09' });
    const later = claim('later', 'standard', 30);
    const result = plan([early, later], {
      calendar: calendar({
        caps: { weekday: { mailboxes: 11, bytes: 1e9 }, weekend: { mailboxes: 11, bytes: 1e9 } },
      }),
    });
    expect(daysOf(result, later.requestId).slice(0, 3)).toEqual([
      ['2026-12-07', 11],
      ['2026-12-08', 11],
      ['2026-12-09', 5],
    ]);
    // Ready on the 9th: an equal share, and the indivisible remainder because it has waited longest.
    expect(daysOf(result, early.requestId)[0]).toEqual(['2026-12-09', 6]);
    expect(result.notReady).toEqual({ organisations: 1, mailboxes: 30 });
  });

  test('not ready and no date to be ready by: never planned, counted as not ready, finish of the rest unaffected', () => {
    const waiting = claim('w', 'health', 5, { ready: false });
    const other = claim('o', 'standard', 5);
    const result = plan([waiting, other]);
    const schedule = result.requests.find((r) => r.requestId === waiting.requestId)!;
    expect(schedule).toMatchObject({ days: [], start: null, finish: null, reason: 'not-ready' });
    expect(result.projectedFinish).toBe('2026-12-07');
    expect(result.unplanned.byReason).toEqual({ 'not-ready': { requests: 1, mailboxes: 5 } });
  });

  test('bounded wait promotes a standard claim above government from the day its wait is over', () => {
    const aging: TierPolicy[] = [tiers[0]!, tiers[1]!, { ...tiers[2]!, maxWaitInMs: 12 * day }];
    const old = claim('old', 'standard', 10, { arrivedAtMs: start - 10 * day });
    const gov = claim('gov', 'government', 30, { arrivedAtMs: start - day });
    const result = plan([old, gov], { tiers: aging });
    // Day 1 and 2: government first. On 9 December the standard claim has waited 12 days: promoted.
    expect(daysOf(result, gov.requestId).slice(0, 2)).toEqual([
      ['2026-12-07', 10],
      ['2026-12-08', 10],
    ]);
    expect(daysOf(result, old.requestId)).toEqual([
      ['2026-12-09', 5],
      ['2026-12-10', 5],
    ]);
  });

  test('nothing can ever be planned: caps 0 after the first days — stops within a week, says why', () => {
    const closed = { mailboxes: 0, bytes: 0 };
    const result = plan([claim('big', 'health', 100)], {
      calendar: calendar({
        caps: { weekday: closed, weekend: closed },
        holidays: [{ date: monday, mailboxes: 10, bytes: 1e9 }],
      }),
    });
    expect(result.stoppedBecause).toBe('no-capacity');
    expect(result.requests[0]).toMatchObject({
      finish: null,
      reason: 'no-capacity',
      unplanned: { mailboxes: 90 },
    });
    expect(result.lastDayConsidered).toBe('2026-12-14');
    expect(result.projectedFinish).toBe(monday);
  });

  test('a mailbox heavier than any day’s byte cap is never planned, and says so', () => {
    const heavy = claim('heavy', 'health', 1, { bytes: 50_000 });
    const light = claim('light', 'standard', 3);
    const result = plan([heavy, light]);
    expect(result.requests.find((r) => r.requestId === heavy.requestId)!.reason).toBe('no-capacity');
    expect(daysOf(result, light.requestId)).toEqual([['2026-12-07', 3]]);
  });

  test('beyond the horizon: capacity exists but not soon enough', () => {
    const result = plan([claim('x', 'health', 100)], { horizonDays: 5 });
    expect(result.stoppedBecause).toBe('horizon');
    expect(result.requests[0]).toMatchObject({ reason: 'beyond-horizon', unplanned: { mailboxes: 50 } });
  });

  test('frozen work on a plannable day counts against its caps and the organisation’s maximum', () => {
    const c = claim('org', 'health', 20);
    const result = plan([c], {
      calendar: calendar({ perOrgDailyMax: 8 }),
      frozen: [
        { date: monday, requestId: 'earlier', orgId: 'org', tier: 'health', mailboxes: 5, bytes: 500 },
      ],
    });
    expect(daysOf(result, c.requestId).slice(0, 2)).toEqual([
      ['2026-12-07', 3],
      ['2026-12-08', 8],
    ]);
    expect(result.days[0]!.planned.health).toEqual({ mailboxes: 8, bytes: 800 });
  });

  test('reserved share: lower tiers never get health’s unused 20 %', () => {
    const result = plan([claim('s', 'standard', 100)], { calendar: calendar({ reserved: { health: 0.2 } }) });
    expect(result.days.slice(0, 6).map((d) => d.total.mailboxes)).toEqual([8, 8, 8, 8, 8, 16]);
  });

  test('days: contiguous, holidays shown, planned per tier, unknown tiers served last', () => {
    const result = plan([claim('u', 'mystery', 5), claim('h', 'health', 12)], {
      calendar: calendar({ holidays: [{ date: '2026-12-08', mailboxes: 0, label: 'closed' }] }),
    });
    expect(result.tiers).toEqual(['health', 'government', 'standard', 'mystery']);
    expect(
      result.days.map((d) => [d.date, d.dayType, d.planned.health!.mailboxes, d.planned.mystery!.mailboxes]),
    ).toEqual([
      ['2026-12-07', 'weekday', 10, 0],
      ['2026-12-08', 'holiday', 0, 0],
      ['2026-12-09', 'weekday', 2, 5],
    ]);
  });

  test('the capacity lower bound is not reachable in tier order when bytes bind (why the equality needs bytes not binding)', () => {
    const caps = { mailboxes: 10, bytes: 25 };
    const heavy = claim('heavy', 'health', 10, { bytes: 40 });
    const light = claim('light', 'standard', 10, { bytes: 10 });
    const tight = calendar({ caps: { weekday: caps, weekend: caps } });
    const result = plan([heavy, light], { calendar: tight });
    // Finishing on day 2 needs 5 + 5 a day; tier order gives health 6 on day 1 (24 of 25 bytes).
    expect(capacityLowerBound(tight, monday, 20, 50)).toBe('2026-12-08');
    expect(daysOf(result, heavy.requestId)).toEqual([
      ['2026-12-07', 6],
      ['2026-12-08', 4],
    ]);
    expect(result.projectedFinish).toBe('2026-12-09');
  });

  test('bad input is refused (the API validates first; this is the planner’s own guard)', () => {
    expect(() => plan([claim('a', 'health', 1.5)])).toThrow(RangeError);
    expect(() => plan([claim('a', 'health', 0, { bytes: 5 })])).toThrow(RangeError);
    const twice = claim('a', 'health', 1);
    expect(() => plan([twice, twice])).toThrow(/twice/);
    expect(() => plan([], { firstDay: '2026-13-01' })).toThrow(RangeError);
  });
});

describe('unplannedReasonText', () => {
  const base = { requestId: 'r', orgId: 'o', tier: 'health', days: [], start: null, finish: null };
  const context = { lastDayConsidered: '2029-12-06' };
  test('words for each reason, the failing checks for a not-ready organisation', () => {
    expect(
      unplannedReasonText({ ...base, unplanned: { mailboxes: 0, bytes: 0 }, reason: null }, context),
    ).toBeNull();
    const waiting = { ...base, unplanned: { mailboxes: 1200, bytes: 1 }, reason: 'not-ready' as const };
    const readiness = evaluateReadiness(
      [{ name: 'licences', status: 'fail', detail: '40 unlicensed' }],
      ['licences', 'network'],
    );
    expect(unplannedReasonText(waiting, { ...context, readiness })).toBe(
      'not ready: licences failing (40 unlicensed), network pending (not reported)',
    );
    expect(unplannedReasonText({ ...waiting, reason: 'no-capacity' }, context)).toMatch(
      /^no capacity is expected to free up: no day of the calendar can take its remaining 1,200 mailboxes/,
    );
    expect(unplannedReasonText({ ...waiting, reason: 'beyond-horizon' }, context)).toBe(
      'no room for its remaining 1,200 mailboxes up to 2029-12-06, the furthest day planned',
    );
  });
});
