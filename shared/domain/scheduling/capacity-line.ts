/**
 * The claims on a stock-like capacity (a pool's provisionings, later execution slots) and their line.
 *
 * The line is `orderWaitingLine` over the waiting claims *and* the holdings together, with the holdings
 * then skipped: a claim's fair turn counts the claims its organisation already holds in that tier. That
 * keeps the order stable under the dispatcher's own moves — admitting a claim or pushing one back changes
 * no one's place — so a dispatch run on its own result decides nothing more, and an organisation that
 * holds much waits behind one that holds nothing (SCHEDULING.md rule 1: the care home never waits behind
 * the hospital's backlog). Ordered over the waiting claims alone, the turns would reset on every admission
 * and collapse into plain arrival order.
 */
import type { TierTable } from './capacity';
import {
  orderWaitingLine,
  servedTierIndex,
  tiersInOrder,
  type TierPolicy,
  type WaitingClaim,
} from './waiting-line';

/** A claim on a capacity: `id` is the request id; `tier` is the organisation's verified tier. */
export interface CapacityClaim extends WaitingClaim {
  /** How much it takes (cores, seats, slots); a positive integer. */
  quantity: number;
  /**
   * When the requester expects to give it back (epoch ms); used by ETAs only. Once it has passed (or when
   * the claim starts after it) no release is expected any more: overdue work is not guessed to end.
   */
  holdUntilMs?: number;
}

/**
 * An admitted claim. It counts against its own `tier` (never the tier bounded-wait promotion served it at),
 * so a promoted claim cannot leave a higher tier's reservation used up for good.
 */
export interface CapacityHolding extends CapacityClaim {
  /** Started work is never pushed back (SCHEDULING.md rule 4). */
  started: boolean;
}

/** One place in the line. */
export interface LineEntry<C extends CapacityClaim = CapacityClaim> {
  claim: C;
  /** The tier index it is served at now (after promotion); `table.count` for an unknown tier. */
  servedIndex: number;
  /** Its own tier's index: what it counts against once admitted. */
  tierIndex: number;
  /** True for a holding (already admitted), false for a waiting claim. */
  holding: boolean;
}

/**
 * Holdings and waiting claims in line order (see the file comment). Ties break by id, so the order is total.
 * @throws RangeError on duplicate tier names or ranks.
 */
export function unionLine(
  holdings: readonly CapacityHolding[],
  waiting: readonly CapacityClaim[],
  tiers: readonly TierPolicy[],
  table: TierTable,
  nowMs: number,
): LineEntry[] {
  const ordered = tiersInOrder(tiers);
  const isHolding = new Set<CapacityClaim>(holdings);
  const all: CapacityClaim[] = [...holdings, ...waiting];
  return orderWaitingLine(all, tiers, nowMs).map((claim) => ({
    claim,
    servedIndex: servedTierIndex(claim, ordered, nowMs),
    tierIndex: table.indexOf(claim.tier),
    holding: isHolding.has(claim),
  }));
}

/** The waiting claims only, in line order: what `GET /api/pools/{poolId}/queue` lists. */
export function capacityLine(
  holdings: readonly CapacityHolding[],
  waiting: readonly CapacityClaim[],
  tiers: readonly TierPolicy[],
  table: TierTable,
  nowMs: number,
): LineEntry[] {
  return unionLine(holdings, waiting, tiers, table, nowMs).filter((entry) => !entry.holding);
}

/** What the holdings use, per tier index (length `table.count + 1`). */
export function usedByIndex(table: TierTable, holdings: readonly CapacityHolding[]): Float64Array {
  const used = new Float64Array(table.count + 1);
  for (const holding of holdings) used[table.indexOf(holding.tier)]! += holding.quantity;
  return used;
}

/** What the holdings use, per tier name. */
export function usedByTierName(holdings: readonly CapacityHolding[]): Record<string, number> {
  const used: Record<string, number> = {};
  for (const holding of holdings) used[holding.tier] = (used[holding.tier] ?? 0) + holding.quantity;
  return used;
}
