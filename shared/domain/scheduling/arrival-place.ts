/**
 * Where one arriving claim falls in the line (`unionLine` order), in one pass and without sorting: whether
 * any waiting claim is ahead of it, and how much lower-tier work that has not started could make room.
 * Within its served tier the line is fair turns (`fairTurns`): a claim's round is how many claims of its
 * organisation in that tier came before it, and within a round organisations go by their oldest claim.
 */
import type { CapacityClaim, CapacityHolding } from './capacity-line';
import { promotionsOf, tiersInOrder, type TierPolicy, type WaitingClaim } from './waiting-line';

export interface ArrivalPlace {
  /** The tier index the arriving claim is served at now. */
  index: number;
  /** True when a waiting claim is ahead of it in the line. */
  anyAhead: boolean;
  /** The total quantity of not-started holdings served at a lower tier than it (0 when `anyAhead`). */
  preemptable: number;
  /** What the holdings use per tier index, unknown tiers last (empty when `anyAhead`). */
  used: Float64Array;
  /**
   * True when its organisation has waiting claims in the same tier, all behind it: the arrival moves their
   * turns back a round, so another organisation's claim may now be next in line. False when `anyAhead`: the
   * claim then at the head of the line stays there, whatever the arrival does to the turns behind it.
   */
  reordersOwnTurns: boolean;
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
  const { tierIndex, servedIndex } = indexers(ordered, input.nowMs);
  const index = servedIndex(arriving, tierIndex(arriving));
  const ahead = (): ArrivalPlace => ({
    index,
    anyAhead: true,
    preemptable: 0,
    used: new Float64Array(0),
    reordersOwnTurns: false,
  });
  const section: { claim: WaitingClaim; waiting: boolean }[] = [{ claim: arriving, waiting: false }];
  // The waiting claims first: in a crowded pool a claim of a higher tier waiting ends the pass early.
  for (const claim of input.waiting) {
    const served = servedIndex(claim, tierIndex(claim));
    if (served < index) return ahead();
    if (served === index) section.push({ claim, waiting: true });
  }
  let preemptable = 0;
  const used = new Float64Array(ordered.length + 1);
  for (const holding of input.holdings) {
    const own = tierIndex(holding);
    used[own]! += holding.quantity;
    const served = servedIndex(holding, own);
    if (served > index && !holding.started) preemptable += holding.quantity;
    if (served === index) section.push({ claim: holding, waiting: false });
  }

  // Per organisation: its oldest claim in the tier (its place within a round) and its oldest waiting claim.
  const anchor = new Map<string, WaitingClaim>();
  const oldestWaiting = new Map<string, WaitingClaim>();
  for (const { claim, waiting } of section) {
    const a = anchor.get(claim.orgId);
    if (!a || before(claim, a)) anchor.set(claim.orgId, claim);
    if (!waiting) continue;
    if (claim.orgId === arriving.orgId && before(claim, arriving)) return ahead();
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
      return ahead();
    }
  }
  return { index, anyAhead: false, preemptable, used, reordersOwnTurns: oldestWaiting.has(arriving.orgId) };
}

/**
 * A claim's own tier index and `servedTierIndex`, with the tier lookup done once: this pass runs over every
 * claim of the pool on each arrival. Tiers without `maxWait` need no promotion arithmetic.
 */
function indexers(ordered: readonly TierPolicy[], nowMs: number) {
  const indexOf = new Map(ordered.map((t, i) => [t.name, i]));
  const promotes = ordered.map((t) => t.maxWaitInMs !== undefined);
  return {
    tierIndex: (claim: WaitingClaim): number => indexOf.get(claim.tier) ?? ordered.length,
    servedIndex: (claim: WaitingClaim, own: number): number =>
      promotes[own] ? own - promotionsOf(claim, ordered, nowMs) : own,
  };
}
