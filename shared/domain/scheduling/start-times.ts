/**
 * When each waiting claim would start, by running the scheduler forward over what is known: the capacity
 * follows its `schedule`; holdings and started claims give their capacity back at `holdUntilMs` if that is
 * later than now (resp. than their start) — without one, or once it has passed, no release is expected
 * (a claim started after its `holdUntilMs` is a holding whose `holdUntilMs` has passed).
 *
 * Claims are placed one by one in line order, as conservative backfilling does: each at the earliest time
 * it fits its served tier's headroom (nested reservations included) given every claim placed before it.
 * - `strict`: never before the claim ahead of it; a claim that can never start holds everyone behind it.
 * - `backfill`: it may start before claims ahead of it only if it delays none of their starts. Each placed
 *   start keeps a slack (headroom − quantity); a later claim may overlap that start only with a quantity
 *   within the slack, which then shrinks. Counting the whole quantity against the slack — even when the
 *   claim would only use its own tier's unused reservation — keeps the check conservative.
 * Claims ahead are placed before claims behind and never moved, so a claim never delays one ahead of it,
 * and a backfill start is never later than the strict one.
 *
 * Time is cut into slots at the known event times; the earliest fitting slot is found through 2^r linear
 * bounds (r = tiers above with a reservation): headroom = min over subsets A of those tiers of
 * capacity − Σ_A reserved − Σ_{tiers outside A} used, each a range-add tree. O(n · 2^r · log slots).
 */
import { amountsByIndex, capacityAt, type CapacitySpec, type TierTable } from './capacity';
import type { CapacityHolding, LineEntry } from './capacity-line';
import { MaxAddTree, MinAddTree } from './range-trees';

/** More reserving tiers than this would make 2^r bounds too many; pools refuse it at validation. */
export const maxReservingTiers = 6;

export interface StartTimesInput {
  spec: CapacitySpec;
  table: TierTable;
  holdings: readonly CapacityHolding[];
  /** The waiting claims in line order (see `capacityLine`). */
  line: readonly LineEntry[];
  nowMs: number;
}

/** Why a claim has no start: it never fits, or (strict) a claim ahead of it never starts. */
export type NoStartCause = 'never-fits' | 'behind-unserved';

export interface StartTimes {
  /** Per line entry: the simulated start (≥ now), or null. */
  startMs: (number | null)[];
  /** Per line entry: when it is expected to give back (null: never, or it never starts). */
  releaseMs: (number | null)[];
  /** Per line entry without a start: why; null for those with one. */
  cause: (NoStartCause | null)[];
}

/**
 * Simulated starts of the waiting line, in its order.
 * @throws RangeError when more than `maxReservingTiers` tiers above a waiting claim reserve headroom.
 */
export function simulateStarts(input: StartTimesInput): StartTimes {
  const { spec, table, holdings, line, nowMs } = input;
  const times = eventTimes(input);
  const slots = times.length;
  const slotOf = (atMs: number): number => lowerBound(times, atMs);
  // The slot at which a release at `holdUntilMs` would happen; `slots` (never) when none is expected.
  const endSlot = (holdUntilMs: number | undefined): number =>
    holdUntilMs !== undefined && Number.isFinite(holdUntilMs) && holdUntilMs > nowMs
      ? slotOf(holdUntilMs)
      : slots;

  // Used per tier index per slot, from the holdings (difference arrays).
  const tierSlots = table.count + 1;
  const used = Array.from({ length: tierSlots }, () => new Float64Array(slots + 1));
  for (const holding of holdings) {
    const row = used[table.indexOf(holding.tier)]!;
    row[0]! += holding.quantity;
    row[endSlot(holding.holdUntilMs)]! -= holding.quantity;
  }
  for (const row of used) for (let i = 1; i < slots; i++) row[i]! += row[i - 1]!;

  const reserved = amountsByIndex(table, spec.reserved);
  const reserving: number[] = [];
  for (let u = 0; u < table.count; u++) if (reserved[u]! > 0) reserving.push(u);
  const reservingAbove = (t: number): number => reserving.filter((u) => u < t).length;
  const depth = Math.max(0, ...line.map((entry) => reservingAbove(entry.servedIndex)));
  if (depth > maxReservingTiers) {
    throw new RangeError(`at most ${maxReservingTiers} tiers may reserve headroom in one capacity`);
  }
  const bitOf = new Int32Array(tierSlots).fill(-1);
  reserving.forEach((u, bit) => (bitOf[u] = bit));

  // One linear bound per subset A (bit mask) of the first `depth` reserving tiers.
  const trees: MaxAddTree[] = [];
  const capacities = times.map((at) => capacityAt(spec, at));
  for (let mask = 0; mask < 1 << depth; mask++) {
    const values = new Float64Array(slots);
    let reservedInMask = 0;
    for (let bit = 0; bit < depth; bit++) if (mask & (1 << bit)) reservedInMask += reserved[reserving[bit]!]!;
    for (let i = 0; i < slots; i++) {
      let value = capacities[i]! - reservedInMask;
      for (let u = 0; u < tierSlots; u++) {
        const bit = bitOf[u]!;
        if (bit < 0 || bit >= depth || !(mask & (1 << bit))) value -= used[u]![i]!;
      }
      values[i] = value;
    }
    trees.push(new MaxAddTree(values));
  }
  const backfill = spec.policy === 'backfill';
  const slack = backfill ? new MinAddTree(new Float64Array(slots).fill(Infinity)) : null;

  const earliest = (masks: number, from: number, quantity: number): number => {
    let slot = from;
    for (let moved = true; moved;) {
      moved = false;
      for (let mask = 0; mask < masks; mask++) {
        const found = trees[mask]!.firstAtLeast(slot, quantity);
        if (found < 0) return -1;
        if (found > slot) {
          slot = found;
          moved = true;
        }
      }
    }
    return slot;
  };

  const result: StartTimes = { startMs: [], releaseMs: [], cause: [] };
  let previous = 0;
  let blocked = false;
  for (const entry of line) {
    const { quantity, holdUntilMs } = entry.claim;
    if (blocked) {
      result.startMs.push(null);
      result.releaseMs.push(null);
      result.cause.push('behind-unserved');
      continue;
    }
    const holdEnd = endSlot(holdUntilMs);
    const masks = 1 << reservingAbove(entry.servedIndex);
    // A start before `holdEnd` gives back then; a later one never. With backfill, the slack it needs covers
    // the starts of claims ahead until it gives back: try the early, finite window first.
    const search = (from: number, until: number): number => {
      const violated = slack ? slack.lastBelow(from + 1, until, quantity) : -1;
      return earliest(masks, Math.max(from, violated), quantity);
    };
    const from = backfill ? 0 : previous;
    let slot = holdEnd < slots && from < holdEnd ? search(from, holdEnd) : -1;
    if (slot < 0 || slot >= holdEnd) slot = search(Math.max(from, holdEnd < slots ? holdEnd : from), slots);
    if (slot < 0) {
      result.startMs.push(null);
      result.releaseMs.push(null);
      result.cause.push('never-fits');
      blocked = !backfill;
      continue;
    }
    const end = slot < holdEnd ? holdEnd : slots;
    if (slack) {
      let headroom = Infinity;
      for (let mask = 0; mask < masks; mask++) headroom = Math.min(headroom, trees[mask]!.valueAt(slot));
      slack.add(slot + 1, end, -quantity);
      slack.improve(slot, headroom - quantity);
    }
    const bit = bitOf[entry.tierIndex] ?? -1;
    for (let mask = 0; mask < trees.length; mask++) {
      if (bit < 0 || bit >= depth || !(mask & (1 << bit))) trees[mask]!.add(slot, end, -quantity);
    }
    previous = slot;
    const startMs = times[slot]!;
    result.startMs.push(startMs);
    result.releaseMs.push(end === slots ? null : times[end]!);
    result.cause.push(null);
  }
  return result;
}

/** Now, then every known future time at which capacity may change, sorted and distinct. */
function eventTimes(input: StartTimesInput): number[] {
  const { nowMs } = input;
  const times = new Set<number>([nowMs]);
  const add = (atMs: number | undefined): void => {
    if (atMs !== undefined && Number.isFinite(atMs) && atMs > nowMs) times.add(atMs);
  };
  for (const holding of input.holdings) add(holding.holdUntilMs);
  for (const entry of input.line) add(entry.claim.holdUntilMs);
  for (const change of input.spec.schedule) add(change.atMs);
  return [...times].sort((a, b) => a - b);
}

/** The index of the first element ≥ `value` in a sorted array. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
