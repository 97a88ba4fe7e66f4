/** Checks on the planner's input, and the days bounded waiting promotes a claim (rule 5). */
import { isLocalDate } from './local-date';
import type { ClaimState } from './plan-queues';
import type { FrozenAllocation, PlanInput } from './plan-types';
import type { TierPolicy } from './waiting-line';

/**
 * Day indices on which waiting promotes the claim one tier (rule 5: one per elapsed `maxWait` of its
 * own tier, never above the first), each the first day starting at or after the wait is over; 0 for
 * a wait already over by the first day, `horizon` for one not over within it.
 */
export function promotionDaysOf(
  claim: ClaimState,
  ordered: readonly TierPolicy[],
  own: number,
  startOfDay: (day: number) => number,
  horizon: number,
): number[] {
  const maxWait = ordered[own]?.maxWaitInMs;
  if (own <= 0 || maxWait === undefined || maxWait <= 0) return [];
  const days: number[] = [];
  for (let promotion = 1; promotion <= own; promotion++) {
    const due = claim.claim.arrivedAtMs + promotion * maxWait;
    // Binary search over the (cached) day starts: a few map reads instead of time-zone arithmetic.
    if (startOfDay(0) >= due) {
      days.push(0);
      continue;
    }
    let low = 0; // starts before `due`
    let high = horizon; // treated as starting at or after it
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (startOfDay(middle) >= due) high = middle;
      else low = middle;
    }
    days.push(high);
  }
  return days;
}

/**
 * Refuses input no API would let through.
 * @throws RangeError naming the request or frozen allocation at fault.
 */
export function checkInput(input: PlanInput): void {
  if (!isLocalDate(input.firstDay)) throw new RangeError(`firstDay "${input.firstDay}" is not a date`);
  const seen = new Set<string>();
  const amounts = (what: string, mailboxes: number, bytes: number): void => {
    if (!Number.isSafeInteger(mailboxes) || mailboxes < 0 || !Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`${what}: mailboxes and bytes must be whole numbers ≥ 0`);
    }
    if (mailboxes === 0 && bytes > 0) throw new RangeError(`${what}: bytes without mailboxes`);
  };
  for (const claim of input.claims) {
    if (seen.has(claim.requestId)) throw new RangeError(`request ${claim.requestId} is claimed twice`);
    seen.add(claim.requestId);
    amounts(`request ${claim.requestId}`, claim.mailboxes, claim.bytes);
    for (const date of [claim.readyFrom, claim.arrivesOn]) {
      if (date !== undefined && !isLocalDate(date))
        throw new RangeError(`request ${claim.requestId}: bad date`);
    }
  }
  input.frozen.forEach((allocation: FrozenAllocation) => {
    if (!isLocalDate(allocation.date)) throw new RangeError(`frozen ${allocation.requestId}: bad date`);
    amounts(`frozen ${allocation.requestId} on ${allocation.date}`, allocation.mailboxes, allocation.bytes);
  });
}
