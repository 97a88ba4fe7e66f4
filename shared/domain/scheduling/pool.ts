/**
 * Capacity pools (issue 8): a stock of one resource type in one region — `vm` cores in `uksouth` — drawn
 * by provisioning requests and given back on release. Declared pools only: a resource type/region with no
 * pool stays unlimited. Pure; times in epoch milliseconds.
 */
import {
  capacityView,
  tierTable,
  type CapacityChange,
  type CapacityPolicy,
  type CapacitySpec,
  type CapacityView,
} from './capacity';
import { usedByTierName, type CapacityClaim, type CapacityHolding } from './capacity-line';
import type { TierPolicy } from './waiting-line';

/** The largest capacity (and reservation, and scheduled capacity) a pool accepts. */
export const maxPoolCapacity = 1_000_000_000;

/** A pool as stored: the capacity in force now and the known future changes. */
export interface PoolDefinition {
  poolId: string;
  resourceType: string;
  region: string;
  capacity: number;
  /** Reserved headroom per tier name (nested: SCHEDULING.md rule 2). */
  reserved: Record<string, number>;
  policy: CapacityPolicy;
  /** Future capacity changes, sorted by time, times distinct. */
  schedule: CapacityChange[];
}

/** `vm@uksouth`: the pool's key (one pool per resource type and region) and its name in reasons. */
export function poolKey(pool: Pick<PoolDefinition, 'resourceType' | 'region'>): string {
  return `${pool.resourceType}@${pool.region}`;
}

/** The pool as admission and ETAs see it. */
export function poolCapacitySpec(pool: PoolDefinition): CapacitySpec {
  return {
    label: `pool ${poolKey(pool)}`,
    capacity: pool.capacity,
    reserved: pool.reserved,
    policy: pool.policy,
    schedule: pool.schedule,
  };
}

/**
 * Applies the schedule entries that are due: every entry with `atMs` ≤ now leaves the schedule and the
 * latest of them becomes `capacity`. `applied` lists them in time order (for the history); empty when
 * nothing was due, and then `pool` is the same object.
 */
export function applyDueSchedule(
  pool: PoolDefinition,
  nowMs: number,
): { pool: PoolDefinition; applied: CapacityChange[] } {
  const applied = pool.schedule.filter((c) => c.atMs <= nowMs).sort((a, b) => a.atMs - b.atMs);
  if (applied.length === 0) return { pool, applied };
  return {
    pool: {
      ...pool,
      capacity: applied[applied.length - 1]!.capacity,
      schedule: pool.schedule.filter((c) => c.atMs > nowMs).sort((a, b) => a.atMs - b.atMs),
    },
    applied,
  };
}

/** When the next schedule entry falls due (arm a timer for it), or null. */
export function nextScheduleAtMs(pool: PoolDefinition): number | null {
  return pool.schedule.reduce<number | null>(
    (next, c) => (next === null || c.atMs < next ? c.atMs : next),
    null,
  );
}

/** `GET /api/pools/{poolId}`: the definition, what is used and by whom, what each tier could take, who waits. */
export interface PoolView extends CapacityView {
  poolId: string;
  resourceType: string;
  region: string;
  policy: CapacityPolicy;
  schedule: CapacityChange[];
  /** Waiting claims per tier (their own tier). */
  waitingByTier: Record<string, number>;
}

/**
 * The pool's view now. Pass a pool whose due schedule was applied (`applyDueSchedule`).
 * @throws RangeError on duplicate tier names or ranks.
 */
export function poolView(
  pool: PoolDefinition,
  holdings: readonly CapacityHolding[],
  waiting: readonly CapacityClaim[],
  tiers: readonly TierPolicy[],
): PoolView {
  const table = tierTable(tiers);
  const view = capacityView(table, pool.capacity, pool.reserved, usedByTierName(holdings));
  const waitingByTier: Record<string, number> = {};
  for (const name of table.names) waitingByTier[name] = 0;
  for (const claim of waiting) waitingByTier[claim.tier] = (waitingByTier[claim.tier] ?? 0) + 1;
  return {
    poolId: pool.poolId,
    resourceType: pool.resourceType,
    region: pool.region,
    policy: pool.policy,
    schedule: [...pool.schedule],
    ...view,
    waitingByTier,
  };
}
