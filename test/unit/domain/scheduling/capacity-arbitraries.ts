/**
 * Generators and independent checkers for the capacity admission/ETA property tests: small random pools,
 * holdings and lines, a replay that checks every admission against the capacity rules from scratch, and
 * a naive O(n²) re-implementation of the start-time engine to compare with.
 */
import fc from 'fast-check';
import {
  amountsByIndex,
  capacityAt,
  headroomOf,
  type CapacitySpec,
  type TierTable,
} from '../../../../shared/domain/scheduling/capacity';
import type {
  CapacityClaim,
  CapacityHolding,
  LineEntry,
} from '../../../../shared/domain/scheduling/capacity-line';
import type { TierPolicy } from '../../../../shared/domain/scheduling/waiting-line';

export const tierNames = ['health', 'government', 'remote-work', 'standard'] as const;

export const plainTiers: TierPolicy[] = tierNames.map((name, i) => ({ name, rank: i + 1 }));

export interface Scenario {
  spec: CapacitySpec;
  tiers: TierPolicy[];
  holdings: CapacityHolding[];
  waiting: CapacityClaim[];
  nowMs: number;
}

const nowMs = 10_000;

const arbTiers: fc.Arbitrary<TierPolicy[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(plainTiers) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 500, max: 4000 })
      .map((maxWait) => plainTiers.map((t, i) => (i >= 2 ? { ...t, maxWaitInMs: maxWait } : t))),
  },
);

const arbHoldUntil = fc.option(fc.integer({ min: nowMs - 2000, max: nowMs + 5000 }), { nil: undefined });

function arbClaimFields(prefix: string) {
  return fc.record({
    id: fc.integer({ min: 0, max: 1_000_000 }).map((n) => `${prefix}${n}`),
    orgId: fc.constantFrom('a', 'b', 'c', 'd'),
    tier: fc.constantFrom(...tierNames),
    arrivedAtMs: fc.integer({ min: 0, max: nowMs }),
    quantity: fc.integer({ min: 1, max: 12 }),
    holdUntilMs: arbHoldUntil,
  });
}

/** A random pool with holdings and a waiting line (ids unique). */
export function arbScenario(policy?: 'strict' | 'backfill'): fc.Arbitrary<Scenario> {
  return fc
    .record({
      tiers: arbTiers,
      capacity: fc.integer({ min: 0, max: 40 }),
      reservedShares: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 3, maxLength: 3 }),
      policy: policy ? fc.constant(policy) : fc.constantFrom<'strict' | 'backfill'>('strict', 'backfill'),
      schedule: fc.uniqueArray(
        fc.record({
          atMs: fc.integer({ min: nowMs + 1, max: nowMs + 5000 }),
          capacity: fc.integer({ min: 0, max: 50 }),
        }),
        { selector: (c) => c.atMs, maxLength: 3 },
      ),
      holdings: fc.uniqueArray(
        fc
          .tuple(arbClaimFields('h'), fc.boolean())
          .map(([c, started]) => withoutUndefined({ ...c, started })),
        { selector: (c) => c.id, maxLength: 8 },
      ),
      waiting: fc.uniqueArray(arbClaimFields('w').map(withoutUndefined), {
        selector: (c) => c.id,
        maxLength: 12,
      }),
    })
    .map(({ tiers, capacity, reservedShares, policy, schedule, holdings, waiting }) => {
      const reserved: Record<string, number> = {};
      let left = capacity;
      reservedShares.forEach((share, i) => {
        const amount = Math.min(left, share);
        if (amount > 0) reserved[tierNames[i]!] = amount;
        left -= amount;
      });
      return {
        spec: { label: 'pool vm@test', capacity, reserved, policy, schedule },
        tiers,
        holdings,
        waiting,
        nowMs,
      };
    });
}

function withoutUndefined<T extends { holdUntilMs?: number | undefined }>(claim: T): T {
  if (claim.holdUntilMs === undefined) delete claim.holdUntilMs;
  return claim;
}

/** Headroom of a served tier index for a set of holdings, computed from scratch. */
export function headroomFor(
  table: TierTable,
  spec: CapacitySpec,
  atMs: number,
  servedIndex: number,
  holders: readonly CapacityClaim[],
): number {
  const used = new Float64Array(table.count + 1);
  for (const h of holders) used[table.indexOf(h.tier)]! += h.quantity;
  return headroomOf(servedIndex, capacityAt(spec, atMs), amountsByIndex(table, spec.reserved), used);
}

/**
 * The start-time rules, written the slow and obvious way: per claim in line order, try every event time;
 * compute what is active there from scratch; for backfill, check every later-starting claim ahead still
 * has slack for it. Returns the start (ms) per line entry, or null.
 */
export function naiveStarts(
  spec: CapacitySpec,
  table: TierTable,
  holdings: readonly CapacityHolding[],
  line: readonly LineEntry[],
  now: number,
): (number | null)[] {
  const future = (t: number | undefined): t is number => t !== undefined && t > now;
  const times = [
    ...new Set([
      now,
      ...[...holdings, ...line.map((e) => e.claim)].map((c) => c.holdUntilMs).filter(future),
      ...spec.schedule.map((c) => c.atMs).filter(future),
    ]),
  ].sort((a, b) => a - b);
  const holdingEnd = (h: CapacityHolding): number => (future(h.holdUntilMs) ? h.holdUntilMs : Infinity);
  interface Placed {
    claim: CapacityClaim;
    start: number;
    end: number;
    slack: number;
  }
  const placed: Placed[] = [];
  const starts: (number | null)[] = [];
  let previous = now;
  let blocked = false;
  for (const entry of line) {
    const q = entry.claim.quantity;
    const hold = entry.claim.holdUntilMs;
    let found: Placed | null = null;
    if (!blocked) {
      for (const at of times) {
        if (spec.policy === 'strict' && at < previous) continue;
        const end = hold !== undefined && hold > at ? hold : Infinity;
        const active = [
          ...holdings.filter((h) => holdingEnd(h) > at),
          ...placed.filter((p) => p.start <= at && at < p.end).map((p) => p.claim),
        ];
        const headroom = headroomFor(table, spec, at, entry.servedIndex, active);
        if (headroom < q) continue;
        if (spec.policy === 'backfill' && placed.some((p) => p.start > at && p.start < end && p.slack < q))
          continue;
        found = { claim: entry.claim, start: at, end, slack: headroom - q };
        break;
      }
    }
    if (found) {
      if (spec.policy === 'backfill') {
        for (const p of placed) if (p.start > found.start && p.start < found.end) p.slack -= q;
      }
      placed.push(found);
      previous = found.start;
      starts.push(found.start);
    } else {
      starts.push(null);
      if (spec.policy === 'strict') blocked = true;
    }
  }
  return starts;
}
