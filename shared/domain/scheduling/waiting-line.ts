/**
 * The waiting line shared by every kind of capacity (pools, the migration calendar, execution slots):
 * tier order with opt-in bounded-wait promotion, organisations taking turns within a tier, arrival order
 * within an organisation. Pure: the time comes in as an argument.
 */

/** A tier as the scheduler sees it (from the topology): lower rank is served first. */
export interface TierPolicy {
  name: string;
  rank: number;
  /** Opt-in anti-starvation: a claim waiting this long is promoted one tier up, once per elapsed period. */
  maxWaitInMs?: number;
}

/** What the line needs to know of a claim; the kinds of capacity extend it. */
export interface WaitingClaim {
  id: string;
  orgId: string;
  /** The organisation's verified tier. */
  tier: string;
  /** When the intake accepted the request (its place in the line), in epoch milliseconds. */
  arrivedAtMs: number;
}

/** The tiers ordered by rank, first served first. @throws RangeError on duplicate names or ranks. */
export function tiersInOrder(tiers: readonly TierPolicy[]): TierPolicy[] {
  const sorted = [...tiers].sort((a, b) => a.rank - b.rank);
  if (new Set(sorted.map((t) => t.name)).size !== sorted.length) throw new RangeError('duplicate tier name');
  if (new Set(sorted.map((t) => t.rank)).size !== sorted.length) throw new RangeError('duplicate tier rank');
  return sorted;
}

/**
 * How many tiers up a claim has been promoted by waiting (0 when its tier has no `maxWait`), never past
 * the first tier. An unknown tier is served last and never promoted.
 */
export function promotionsOf(claim: WaitingClaim, ordered: readonly TierPolicy[], nowMs: number): number {
  const index = ordered.findIndex((t) => t.name === claim.tier);
  const maxWait = ordered[index]?.maxWaitInMs;
  if (index <= 0 || maxWait === undefined || maxWait <= 0) return 0;
  const waited = Math.max(0, nowMs - claim.arrivedAtMs);
  return Math.min(index, Math.floor(waited / maxWait));
}

/**
 * The position of the tier a claim is served at now (0 = the first tier), after promotion.
 * Claims of a tier the policy does not know come after every known tier.
 */
export function servedTierIndex(claim: WaitingClaim, ordered: readonly TierPolicy[], nowMs: number): number {
  const index = ordered.findIndex((t) => t.name === claim.tier);
  if (index < 0) return ordered.length;
  return index - promotionsOf(claim, ordered, nowMs);
}

const byArrival = (a: WaitingClaim, b: WaitingClaim): number =>
  a.arrivedAtMs - b.arrivedAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Orders claims as the scheduler serves them: by served tier; within a tier, organisations take turns —
 * round 1 takes each organisation's oldest claim, round 2 its second, and so on, the organisation waiting
 * longest first in every round — so a small organisation never waits behind a large one's backlog; with
 * one organisation this is arrival order. Ties break by id, so the order is total and deterministic.
 */
export function orderWaitingLine<C extends WaitingClaim>(
  claims: readonly C[],
  tiers: readonly TierPolicy[],
  nowMs: number,
): C[] {
  const ordered = tiersInOrder(tiers);
  const byTier = new Map<number, C[]>();
  for (const claim of claims) {
    const index = servedTierIndex(claim, ordered, nowMs);
    const list = byTier.get(index) ?? [];
    list.push(claim);
    byTier.set(index, list);
  }
  const line: C[] = [];
  for (const index of [...byTier.keys()].sort((a, b) => a - b)) {
    line.push(...fairTurns(byTier.get(index) ?? []));
  }
  return line;
}

/** Round-robin over organisations (longest waiting first), each organisation's claims in arrival order. */
export function fairTurns<C extends WaitingClaim>(claims: readonly C[]): C[] {
  const byOrg = new Map<string, C[]>();
  for (const claim of [...claims].sort(byArrival)) {
    const list = byOrg.get(claim.orgId) ?? [];
    list.push(claim);
    byOrg.set(claim.orgId, list);
  }
  // Map insertion order follows each organisation's oldest claim, because the claims were sorted first.
  const queues = [...byOrg.values()];
  const out: C[] = [];
  for (let round = 0; out.length < claims.length; round++) {
    for (const queue of queues) {
      const claim = queue[round];
      if (claim) out.push(claim);
    }
  }
  return out;
}
