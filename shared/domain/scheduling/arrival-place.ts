/**
 * Where one arriving claim falls in the line (`unionLine` order), in one pass and without sorting: whether
 * any waiting claim is ahead of it, and how much lower-tier work that has not started could make room.
 * Within its served tier the line is fair turns (`fairTurns`): a claim's round is how many claims of its
 * organisation in that tier came before it, and within a round organisations go by their oldest claim.
 */
import type { CapacityClaim, CapacityHolding } from './capacity-line';
import { servedTierIndex, tiersInOrder, type TierPolicy, type WaitingClaim } from './waiting-line';

export interface ArrivalPlace {
  /** The tier index the arriving claim is served at now. */
  index: number;
  /** True when a waiting claim is ahead of it in the line. */
  anyAhead: boolean;
  /** The total quantity of not-started holdings served at a lower tier than it. */
  preemptable: number;
}

const before = (a: WaitingClaim, b: WaitingClaim): boolean =>
  a.arrivedAtMs < b.arrivedAtMs || (a.arrivedAtMs === b.arrivedAtMs && a.id < b.id);

/** @throws RangeError on duplicate tier names or ranks. */
export function arrivalPlace(
  input: {
    tiers: readonly TierPolicy[];
    holdings: readonly CapacityHolding[];
    waiting: readonly CapacityClaim[];
    nowMs: number;
  },
  arriving: CapacityClaim,
): ArrivalPlace {
  const ordered = tiersInOrder(input.tiers);
  const index = servedTierIndex(arriving, ordered, input.nowMs);
  let preemptable = 0;
  const section: { claim: WaitingClaim; waiting: boolean }[] = [{ claim: arriving, waiting: false }];
  for (const holding of input.holdings) {
    const served = servedTierIndex(holding, ordered, input.nowMs);
    if (served > index && !holding.started) preemptable += holding.quantity;
    if (served === index) section.push({ claim: holding, waiting: false });
  }
  for (const claim of input.waiting) {
    const served = servedTierIndex(claim, ordered, input.nowMs);
    if (served < index) return { index, anyAhead: true, preemptable };
    if (served === index) section.push({ claim, waiting: true });
  }

  // Per organisation: its oldest claim in the tier (its place within a round) and its oldest waiting claim.
  const anchor = new Map<string, WaitingClaim>();
  const oldestWaiting = new Map<string, WaitingClaim>();
  for (const { claim, waiting } of section) {
    const a = anchor.get(claim.orgId);
    if (!a || before(claim, a)) anchor.set(claim.orgId, claim);
    if (!waiting) continue;
    if (claim.orgId === arriving.orgId && before(claim, arriving))
      return { index, anyAhead: true, preemptable };
    const w = oldestWaiting.get(claim.orgId);
    if (!w || before(claim, w)) oldestWaiting.set(claim.orgId, claim);
  }
  // A claim's round: how many claims of its organisation in the tier came before it.
  const roundOf = new Map<WaitingClaim, number>();
  let arrivingRound = 0;
  for (const w of oldestWaiting.values()) roundOf.set(w, 0);
  for (const { claim } of section) {
    if (claim.orgId === arriving.orgId && before(claim, arriving)) arrivingRound++;
    const w = oldestWaiting.get(claim.orgId);
    if (w && w !== claim && before(claim, w)) roundOf.set(w, roundOf.get(w)! + 1);
  }
  const arrivingAnchor = anchor.get(arriving.orgId)!;
  for (const [orgId, w] of oldestWaiting) {
    if (orgId === arriving.orgId) continue;
    const round = roundOf.get(w)!;
    if (round < arrivingRound || (round === arrivingRound && before(anchor.get(orgId)!, arrivingAnchor))) {
      return { index, anyAhead: true, preemptable };
    }
  }
  return { index, anyAhead: false, preemptable };
}
