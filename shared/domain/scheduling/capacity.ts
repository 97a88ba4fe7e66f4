/**
 * Capacity with nested reserved headroom (SCHEDULING.md rule 2), for every stock-like capacity: provisioning
 * pools now, execution slots later. A tier sees the capacity minus what is used minus the *unused*
 * reservation of every tier ranked above it; its own reservation is its to use. Pure.
 *
 * Tiers are addressed by their index in service order (0 is served first). The index `tierCount` stands
 * for claims of a tier the policy does not know: served last, with no reservation of its own.
 */
import { tiersInOrder, type TierPolicy } from './waiting-line';

/** How a capacity lets later claims start while the head of its line waits (SCHEDULING.md rule 6). */
export type CapacityPolicy = 'strict' | 'backfill';

/** A known future change of a capacity: from `atMs` on, `capacity` is in force. */
export interface CapacityChange {
  atMs: number;
  capacity: number;
}

/** A capacity as admission and ETAs see it; a pool (`pool.ts`) or an execution-slot budget maps onto it. */
export interface CapacitySpec {
  /** Names the capacity in reasons, e.g. `vm@uksouth`. */
  label: string;
  /** The capacity in force now (a due `schedule` entry overrides it, see `capacityAt`). */
  capacity: number;
  /** Reserved headroom per tier name; tiers not named reserve nothing. */
  reserved: Readonly<Record<string, number>>;
  policy: CapacityPolicy;
  /** Known future changes, in any order. */
  schedule: readonly CapacityChange[];
}

/** The capacity in force at `atMs`: the latest schedule entry at or before it, else `spec.capacity`. */
export function capacityAt(spec: Pick<CapacitySpec, 'capacity' | 'schedule'>, atMs: number): number {
  let capacity = spec.capacity;
  let latest = -Infinity;
  for (const change of spec.schedule) {
    if (change.atMs <= atMs && change.atMs >= latest) {
      latest = change.atMs;
      capacity = change.capacity;
    }
  }
  return capacity;
}

/** Tier names in service order, with index lookup; unknown names map to `count` (served last). */
export interface TierTable {
  names: readonly string[];
  count: number;
  indexOf(name: string): number;
}

/**
 * The tier table for a policy list.
 * @throws RangeError on duplicate tier names or ranks.
 */
export function tierTable(tiers: readonly TierPolicy[]): TierTable {
  const names = tiersInOrder(tiers).map((t) => t.name);
  const index = new Map(names.map((name, i) => [name, i]));
  return { names, count: names.length, indexOf: (name) => index.get(name) ?? names.length };
}

/** Per-tier-index amounts (length `count + 1`: the last slot is for unknown tiers) from a by-name record. */
export function amountsByIndex(table: TierTable, byName: Readonly<Record<string, number>>): Float64Array {
  const amounts = new Float64Array(table.count + 1);
  for (const [name, amount] of Object.entries(byName)) amounts[table.indexOf(name)]! += amount;
  return amounts;
}

/**
 * What tier `tierIndex` could still take, unclamped: capacity − Σ used − Σ over every tier ranked above it
 * of max(0, reserved − used). Negative when capacity was lowered below use or higher tiers' reservations
 * are not covered; admission compares a quantity against it, the no-harm checks compare it before/after.
 */
export function headroomOf(
  tierIndex: number,
  capacity: number,
  reserved: ArrayLike<number>,
  used: ArrayLike<number>,
): number {
  let headroom = capacity;
  for (let u = 0; u < used.length; u++) headroom -= used[u]!;
  for (let u = 0; u < tierIndex && u < reserved.length; u++) {
    headroom -= Math.max(0, reserved[u]! - (used[u] ?? 0));
  }
  return headroom;
}

/** What tier `tierIndex` could take now: `headroomOf`, never negative. */
export function availableOf(
  tierIndex: number,
  capacity: number,
  reserved: ArrayLike<number>,
  used: ArrayLike<number>,
): number {
  return Math.max(0, headroomOf(tierIndex, capacity, reserved, used));
}

/** A capacity as `GET /api/pools/{poolId}` shows it. */
export interface CapacityView {
  capacity: number;
  used: number;
  usedByTier: Record<string, number>;
  reserved: Record<string, number>;
  /** What each known tier could take now (0 when capacity is below use). */
  availableByTier: Record<string, number>;
}

/**
 * The capacity view: totals and what each tier could take now, from what each tier uses.
 * `usedByTier` may name tiers the policy does not know: they count as used, served last.
 */
export function capacityView(
  table: TierTable,
  capacity: number,
  reserved: Readonly<Record<string, number>>,
  usedByTier: Readonly<Record<string, number>>,
): CapacityView {
  const reservedByIndex = amountsByIndex(table, reserved);
  const usedByIndex = amountsByIndex(table, usedByTier);
  const used = usedByIndex.reduce((sum, x) => sum + x, 0);
  const availableByTier: Record<string, number> = {};
  table.names.forEach((name, i) => {
    availableByTier[name] = availableOf(i, capacity, reservedByIndex, usedByIndex);
  });
  const usedOut: Record<string, number> = {};
  for (const name of table.names) usedOut[name] = usedByTier[name] ?? 0;
  for (const [name, amount] of Object.entries(usedByTier)) if (!(name in usedOut)) usedOut[name] = amount;
  const reservedOut: Record<string, number> = {};
  for (const name of table.names) if ((reserved[name] ?? 0) > 0) reservedOut[name] = reserved[name]!;
  return { capacity, used, usedByTier: usedOut, reserved: reservedOut, availableByTier };
}
