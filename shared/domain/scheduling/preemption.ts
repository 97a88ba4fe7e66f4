/**
 * Which admitted-but-not-started holdings to push back so a higher-tier claim fits (SCHEDULING.md rule 4).
 * Pure. Started work is never a candidate; the caller passes only holdings of a lower served tier than the
 * claim, so each frees exactly its quantity for it (they count against tiers below the claim's).
 */
import type { CapacityHolding } from './capacity-line';

/**
 * Chooses the holdings to push back to free `need`: the latest in line first until enough is freed, then
 * any of those not needed after all is kept, the earliest in line first — so the set is minimal (keeping
 * any one of them back would leave too little) and falls on the latest claims.
 * @param latestFirst not-started holdings of lower tiers, latest in line first; read only as far as needed.
 * @returns the holdings to push back, in line order; null when even all of them free too little.
 * @throws RangeError when a candidate has already started.
 */
export function choosePreemption(
  latestFirst: Iterable<CapacityHolding>,
  need: number,
): CapacityHolding[] | null {
  if (need <= 0) return [];
  const chosen: CapacityHolding[] = [];
  let freed = 0;
  for (const candidate of latestFirst) {
    if (candidate.started)
      throw new RangeError(`holding "${candidate.id}" has started: it cannot be preempted`);
    chosen.push(candidate);
    freed += candidate.quantity;
    if (freed >= need) break;
  }
  if (freed < need) return null;
  // `chosen` runs latest first; try keeping each, earliest in line first.
  const kept = new Set<CapacityHolding>();
  for (let i = chosen.length - 1; i >= 0; i--) {
    const candidate = chosen[i]!;
    if (freed - candidate.quantity >= need) {
      freed -= candidate.quantity;
      kept.add(candidate);
    }
  }
  return chosen.filter((c) => !kept.has(c)).reverse();
}
