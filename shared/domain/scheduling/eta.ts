/**
 * The waiting line as requesters see it (SCHEDULING.md rule 3 and "ETAs are simulated, not guessed"):
 * each waiting claim's position, who is ahead of it by tier, its ETA — the start `simulateStarts` finds by
 * running the scheduler forward over what is known — or null with the honest reason, and why it waits.
 *
 * What the simulation assumes, precisely:
 * - the line keeps the order it has at `now` (claims leave it as they start); a bounded-wait promotion that
 *   falls due later is not anticipated — `nextPromotionAtMs` says when to dispatch and recompute again;
 * - no new claim arrives, nothing is cancelled, and no one is preempted later (admitted work is taken to
 *   start); releases happen exactly at `holdUntilMs`; a holding whose `holdUntilMs` has passed, or that has
 *   none, is not expected back, nor is a claim that would start at or after its `holdUntilMs`;
 * - the capacity follows the schedule; lowering it takes nothing back.
 * Run it on `dispatch`'s result (see `forecastQueue`): on a line that was not dispatched the head's ETA is
 * still `now` when it fits, but preemption is not simulated.
 */
import { amountsByIndex, capacityAt, headroomOf, tierTable, type TierTable } from './capacity';
import { capacityLine, usedByIndex, type CapacityClaim, type CapacityHolding } from './capacity-line';
import { dispatch, type DispatchDecision, type DispatchInput } from './admission';
import { simulateStarts } from './start-times';
import { capacityDescriber, describeWait, type CapacityPicture } from './wait-reason';
import { promotionsOf, tiersInOrder, type TierPolicy } from './waiting-line';

export interface QueueEntry {
  claim: CapacityClaim;
  /** 1 is next in line. */
  position: number;
  /** Waiting claims ahead of it, by their tier; tiers with none are left out. */
  aheadByTier: Record<string, number>;
  /** The simulated start (never before `now`), or null when none is known. */
  etaMs: number | null;
  /** When it is expected to give the capacity back once started; null when not known. */
  expectedReleaseMs: number | null;
  /** Why it waits; starts with "no capacity is expected to free up" when `etaMs` is null. */
  reason: string;
}

export interface QueueForecast {
  computedAtMs: number;
  /** Every waiting claim, in line order. */
  entries: QueueEntry[];
  /** When bounded-wait promotion next changes the line (dispatch and recompute then), or null. */
  nextPromotionAtMs: number | null;
}

/**
 * Positions, ETAs and reasons for every waiting claim.
 * @throws RangeError as `simulateStarts` and `tierTable` do.
 */
export function simulateQueue(input: DispatchInput): QueueForecast {
  const { spec, tiers, holdings, waiting, nowMs } = input;
  const table = tierTable(tiers);
  const line = capacityLine(holdings, waiting, tiers, table, nowMs);
  const starts = simulateStarts({ spec, table, holdings, line, nowMs });
  const pictures = picturesByServedTier(input, table);
  const maxCapacity = Math.max(
    capacityAt(spec, nowMs),
    ...spec.schedule.filter((c) => c.atMs > nowMs).map((c) => c.capacity),
  );

  const describe = capacityDescriber();
  const aheadCounts = new Map<string, number>(table.names.map((name) => [name, 0]));
  const entries = line.map((entry, i): QueueEntry => {
    const ahead = [...aheadCounts].map(([tier, count]) => ({ tier, count }));
    const aheadByTier: Record<string, number> = {};
    for (const { tier, count } of ahead) if (count > 0) aheadByTier[tier] = count;
    aheadCounts.set(entry.claim.tier, (aheadCounts.get(entry.claim.tier) ?? 0) + 1);
    return {
      claim: entry.claim,
      position: i + 1,
      aheadByTier,
      etaMs: starts.startMs[i]!,
      expectedReleaseMs: starts.releaseMs[i]!,
      reason: describeWait(
        {
          picture: pictures[entry.servedIndex]!,
          quantity: entry.claim.quantity,
          ahead,
          cause: starts.cause[i]!,
          maxCapacity,
        },
        describe,
      ),
    };
  });
  return {
    computedAtMs: nowMs,
    entries,
    nextPromotionAtMs: nextPromotionAt(tiers, [...holdings, ...waiting], nowMs),
  };
}

/** `dispatch`, then `simulateQueue` on its result: what every capacity-changing event should run. */
export function forecastQueue(input: DispatchInput): { decision: DispatchDecision; forecast: QueueForecast } {
  const decision = dispatch(input);
  const forecast = simulateQueue({ ...input, holdings: decision.holdings, waiting: decision.waiting });
  return { decision, forecast };
}

/** The capacity now, as each served tier index sees it (the last index is for unknown tiers). */
function picturesByServedTier(input: DispatchInput, table: TierTable): CapacityPicture[] {
  const capacity = capacityAt(input.spec, input.nowMs);
  const reserved = amountsByIndex(table, input.spec.reserved);
  const used = usedByIndex(table, input.holdings);
  const totalUsed = used.reduce((sum, x) => sum + x, 0);
  const pictures: CapacityPicture[] = [];
  for (let t = 0; t <= table.count; t++) {
    const withheld: { tier: string; amount: number }[] = [];
    for (let u = 0; u < t; u++)
      withheld.push({ tier: table.names[u]!, amount: Math.max(0, reserved[u]! - used[u]!) });
    pictures.push({
      label: input.spec.label,
      capacity,
      used: totalUsed,
      tier: table.names[t] ?? 'requests of an unknown tier',
      available: Math.max(0, headroomOf(t, capacity, reserved, used)),
      withheld,
    });
  }
  return pictures;
}

/** The earliest future moment a claim (waiting or held: holdings count in fair turns) is promoted. */
export function nextPromotionAt(
  tiers: readonly TierPolicy[],
  claims: readonly (CapacityClaim | CapacityHolding)[],
  nowMs: number,
): number | null {
  const ordered = tiersInOrder(tiers);
  let next: number | null = null;
  for (const claim of claims) {
    const index = ordered.findIndex((t) => t.name === claim.tier);
    const maxWait = ordered[index]?.maxWaitInMs;
    if (index <= 0 || maxWait === undefined || maxWait <= 0) continue;
    const promotions = promotionsOf(claim, ordered, nowMs);
    if (promotions >= index) continue;
    const at = claim.arrivedAtMs + (promotions + 1) * maxWait;
    if (next === null || at < next) next = at;
  }
  return next;
}
