/**
 * Random small programmes for the planner's property tests, and the bookkeeping the properties need
 * (what a plan put on each day, per request, per organisation, per tier), read back from its output.
 */
import fc from 'fast-check';
import { capOf, type MigrationCalendar } from '../../../../shared/domain/scheduling/calendar';
import { addDays, daysBetween, startOfLocalDay } from '../../../../shared/domain/scheduling/local-date';
import type {
  FrozenAllocation,
  MigrationClaim,
  PlanInput,
  PlanResult,
} from '../../../../shared/domain/scheduling/plan-types';
import type { TierPolicy } from '../../../../shared/domain/scheduling/waiting-line';

export const planTiers: TierPolicy[] = [
  { name: 'gold', rank: 1 },
  { name: 'silver', rank: 2 },
  { name: 'bronze', rank: 3 },
];
// A Monday a week before Europe/London springs forward, so plans cross a 23-hour day.
export const firstDay = '2027-03-22';
const firstDayStart = startOfLocalDay(firstDay, 'Europe/London');
const orgs = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];

export interface ProgrammeShape {
  /** Byte caps so large they never bind (so mailbox fairness and tier order are exact). */
  generousBytes?: boolean;
  allReady?: boolean;
  noPerOrgMax?: boolean;
  noReserved?: boolean;
  noFrozen?: boolean;
  /** No `readyFrom` or `arrivesOn`: everything eligible from the first day. */
  noLaterDates?: boolean;
}

const amount = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max });

function arbCalendar(shape: ProgrammeShape): fc.Arbitrary<MigrationCalendar> {
  const bytesCap = shape.generousBytes ? fc.constant(1e9) : amount(3000);
  return fc
    .record({
      weekday: fc.record({ mailboxes: amount(30), bytes: bytesCap }),
      weekend: fc.record({ mailboxes: amount(60), bytes: bytesCap }),
      holidays: fc.uniqueArray(
        fc.record({
          day: fc.integer({ min: -3, max: 20 }),
          mailboxes: fc.option(amount(40), { nil: undefined }),
          bytes: shape.generousBytes ? fc.constant(undefined) : fc.option(amount(3000), { nil: undefined }),
        }),
        { selector: (h) => h.day, maxLength: 3 },
      ),
      perOrgDailyMax: shape.noPerOrgMax
        ? fc.constant(undefined)
        : fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      gold: shape.noReserved ? fc.constant(0) : fc.constantFrom(0, 0.1, 0.25, 0.5),
      silver: shape.noReserved ? fc.constant(0) : fc.constantFrom(0, 0.1, 0.25),
    })
    .map((c) => ({
      timeZone: 'Europe/London',
      start: addDays(firstDay, -10),
      deadline: addDays(firstDay, 20),
      caps: { weekday: c.weekday, weekend: c.weekend },
      holidays: c.holidays.map((h) => ({
        date: addDays(firstDay, h.day),
        ...(h.mailboxes === undefined && h.bytes === undefined ? { mailboxes: 0 } : {}),
        ...(h.mailboxes === undefined ? {} : { mailboxes: h.mailboxes }),
        ...(h.bytes === undefined ? {} : { bytes: h.bytes }),
      })),
      ...(c.perOrgDailyMax === undefined ? {} : { perOrgDailyMax: c.perOrgDailyMax }),
      reserved: { ...(c.gold ? { gold: c.gold } : {}), ...(c.silver ? { silver: c.silver } : {}) },
      requiredChecks: [],
    }));
}

function arbClaim(shape: ProgrammeShape): fc.Arbitrary<Omit<MigrationClaim, 'requestId'>> {
  return fc
    .record({
      orgId: fc.constantFrom(...orgs),
      tier: fc.constantFrom(...planTiers.map((t) => t.name)),
      arrivedAtMs: fc.integer({ min: firstDayStart - 10 * 86_400_000, max: firstDayStart + 5 * 86_400_000 }),
      mailboxes: fc.integer({ min: 1, max: 40 }),
      bytesPerMailbox: fc.integer({ min: 0, max: 100 }),
      extraBytes: amount(99),
      ready: shape.allReady ? fc.constant(true) : fc.boolean(),
      readyFrom: shape.noLaterDates
        ? fc.constant(undefined)
        : fc.option(fc.integer({ min: -2, max: 10 }), { nil: undefined }),
      arrivesOn: shape.noLaterDates
        ? fc.constant(undefined)
        : fc.option(fc.integer({ min: 0, max: 10 }), { freq: 4, nil: undefined }),
    })
    .map((c) => ({
      orgId: c.orgId,
      tier: c.tier,
      arrivedAtMs: c.arrivedAtMs,
      mailboxes: c.mailboxes,
      bytes: c.mailboxes * c.bytesPerMailbox + (c.mailboxes > 1 ? c.extraBytes : 0),
      ready: c.ready,
      ...(c.readyFrom === undefined || c.ready ? {} : { readyFrom: addDays(firstDay, c.readyFrom) }),
      ...(c.arrivesOn === undefined ? {} : { arrivesOn: addDays(firstDay, c.arrivesOn) }),
    }));
}

/** A small programme: up to 20 claims of 6 organisations in 3 tiers, some frozen days around the first day. */
export function arbPlanInput(shape: ProgrammeShape = {}): fc.Arbitrary<PlanInput> {
  const arbFrozen = fc.record({
    day: fc.integer({ min: -3, max: 2 }),
    claimIndex: fc.nat(),
    own: fc.boolean(),
    orgId: fc.constantFrom(...orgs),
    tier: fc.constantFrom(...planTiers.map((t) => t.name)),
    mailboxes: amount(10),
    bytes: amount(500),
  });
  const day = 86_400_000;
  const arbWait = fc.option(
    fc.integer({ min: 1, max: 6 }).map((days) => days * day),
    { nil: undefined },
  );
  return fc
    .record({
      // Bounded wait on the lower tiers now and then, so promotions happen inside plans.
      waits: fc.tuple(arbWait, arbWait),
      calendar: arbCalendar(shape),
      claims: fc.array(arbClaim(shape), { maxLength: 20 }),
      frozen: fc.array(arbFrozen, { maxLength: shape.noFrozen ? 0 : 6 }),
    })
    .map(({ waits, calendar, claims, frozen }) => {
      const [silverWait, bronzeWait] = waits;
      const tiers: TierPolicy[] = planTiers.map((tier) => {
        const maxWaitInMs =
          tier.name === 'silver' ? silverWait : tier.name === 'bronze' ? bronzeWait : undefined;
        return maxWaitInMs === undefined ? tier : { ...tier, maxWaitInMs };
      });
      const withIds: MigrationClaim[] = claims.map((claim, i) => ({ requestId: `r${i}`, ...claim }));
      const frozenAllocations: FrozenAllocation[] = frozen.map((f, i) => {
        const claim = withIds[f.claimIndex % Math.max(1, withIds.length)];
        const owner = f.own && claim ? claim : { requestId: `f${i}`, orgId: f.orgId, tier: f.tier };
        return {
          date: addDays(firstDay, f.day),
          requestId: owner.requestId,
          orgId: owner.orgId,
          tier: owner.tier,
          mailboxes: f.mailboxes,
          bytes: f.mailboxes === 0 ? 0 : f.bytes,
        };
      });
      return {
        calendar,
        tiers,
        firstDay,
        frozen: frozenAllocations,
        claims: withIds,
        horizonDays: 120,
      };
    });
}

/** The first day index a claim may be planned on, as the planner's contract defines it. */
export function eligibleDayOf(claim: MigrationClaim): number {
  if (!claim.ready && claim.readyFrom === undefined) return Infinity;
  const arrives = claim.arrivesOn === undefined ? 0 : daysBetween(firstDay, claim.arrivesOn);
  const ready = claim.ready || claim.readyFrom === undefined ? 0 : daysBetween(firstDay, claim.readyFrom);
  return Math.max(0, arrives, ready);
}

export interface Placed {
  requestId: string;
  day: number;
  mailboxes: number;
  bytes: number;
}

/** The newly planned (not frozen) amounts of a plan, request by request, day by day. */
export function placedOf(plan: PlanResult): Placed[] {
  const placed: Placed[] = [];
  for (const request of plan.requests) {
    for (const day of request.days) {
      if (day.frozen) continue;
      placed.push({
        requestId: request.requestId,
        day: daysBetween(firstDay, day.date),
        mailboxes: day.mailboxes,
        bytes: day.bytes,
      });
    }
  }
  return placed;
}

export function sumBy<T>(
  items: readonly T[],
  key: (item: T) => string,
  value: (item: T) => number,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(key(item), (sums.get(key(item)) ?? 0) + value(item));
  return sums;
}

/** The day's caps, for a day index. */
export function capOfDay(input: PlanInput, day: number): { mailboxes: number; bytes: number } {
  return capOf(input.calendar, addDays(firstDay, day));
}
