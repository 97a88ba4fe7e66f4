/**
 * One tier's turn on one day: max-min fair shares (water-filling) of what the tier may use, in whole
 * mailboxes, keeping both the mailbox and the byte allowance.
 *
 * The rule, precisely:
 * 1. Every organisation gets the same number of mailboxes L (or all it can take today, if that is
 *    less), with L as large as the mailbox allowance allows; the indivisible remainder goes one mailbox
 *    each to the organisations waiting longest.
 * 2. Bytes follow mailboxes (each request's bytes split in proportion to its mailboxes). When the
 *    result would exceed the byte allowance, L drops to the largest level whose bytes fit; then, in
 *    rounds, every organisation still short of its demand gets one more mailbox, longest-waiting first,
 *    while that mailbox's bytes still fit. An organisation whose next mailbox does not fit stops there.
 * So two organisations' shares differ by more than one only when the smaller could not take another
 * mailbox (its demand was met, or the next mailbox's bytes did not fit); with both allowances able to
 * take more, the tier's whole demand is met (work-conserving).
 */

/** An organisation's turn: what it can take today and what that weighs. */
export interface FairShareTurn {
  /** Most mailboxes it can take today (its eligible work, capped by the per-organisation maximum). */
  demand: number;
  /** Bytes of its first `m` mailboxes today: 0 for 0, never decreasing in `m`. */
  bytesFor(m: number): number;
}

/**
 * Shares of `mailboxes` and `bytes` for `turns`, which must be in waiting order (longest waiting first).
 * Returns the mailboxes per turn, in the same order.
 */
export function fairShares(turns: readonly FairShareTurn[], mailboxes: number, bytes: number): Float64Array {
  const n = turns.length;
  const shares = new Float64Array(n);
  if (n === 0 || mailboxes <= 0) return shares;
  let totalDemand = 0;
  let maxDemand = 0;
  let lightestFirst = Infinity; // the bytes of the lightest first mailbox anyone could take
  for (const turn of turns) {
    totalDemand += turn.demand;
    if (turn.demand > maxDemand) maxDemand = turn.demand;
    if (turn.demand > 0) lightestFirst = Math.min(lightestFirst, turn.bytesFor(1));
  }
  // Bytes spent above (a tier with heavy mailboxes took them): nothing fits, say so in O(n).
  if (lightestFirst > bytes) return shares;
  // The level at which the mailbox allowance alone stops everyone: everyone below it is fully served.
  let infeasibleLevel: number;
  if (totalDemand <= mailboxes) {
    for (let i = 0; i < n; i++) shares[i] = turns[i]!.demand;
    infeasibleLevel = maxDemand;
  } else {
    const level = waterLevel(turns, mailboxes);
    let left = mailboxes;
    for (let i = 0; i < n; i++) {
      shares[i] = Math.min(turns[i]!.demand, level);
      left -= shares[i]!;
    }
    for (let i = 0; i < n && left > 0; i++) {
      if (turns[i]!.demand > level) {
        shares[i] = level + 1;
        left--;
      }
    }
    infeasibleLevel = level + 1;
  }
  if (bytesOf(turns, shares) <= bytes) return shares;
  return byteBoundShares(turns, mailboxes, bytes, infeasibleLevel);
}

/** The largest whole L with Σ min(demand, L) ≤ mailboxes (called when the demand exceeds them). */
function waterLevel(turns: readonly FairShareTurn[], mailboxes: number): number {
  const sorted = new Float64Array(turns.length);
  for (let i = 0; i < turns.length; i++) sorted[i] = turns[i]!.demand;
  sorted.sort();
  let below = 0;
  for (let i = 0; i < sorted.length; i++) {
    const atOrAbove = sorted.length - i;
    const demand = sorted[i]!;
    if (below + demand * atOrAbove > mailboxes) return Math.floor((mailboxes - below) / atOrAbove);
    below += demand;
  }
  return sorted[sorted.length - 1] ?? 0;
}

function bytesOf(turns: readonly FairShareTurn[], shares: Float64Array): number {
  let total = 0;
  for (let i = 0; i < turns.length; i++) if (shares[i]! > 0) total += turns[i]!.bytesFor(shares[i]!);
  return total;
}

/** Whether the common level L (each turn capped by its demand) fits both allowances. */
function levelFits(
  turns: readonly FairShareTurn[],
  level: number,
  mailboxes: number,
  bytes: number,
): boolean {
  let usedMailboxes = 0;
  let usedBytes = 0;
  for (const turn of turns) {
    const share = Math.min(turn.demand, level);
    if (share === 0) continue;
    usedMailboxes += share;
    usedBytes += turn.bytesFor(share);
    if (usedMailboxes > mailboxes || usedBytes > bytes) return false;
  }
  return true;
}

/** Rule 2: the byte allowance binds. `infeasibleLevel` is a level known not to fit. */
function byteBoundShares(
  turns: readonly FairShareTurn[],
  mailboxes: number,
  bytes: number,
  infeasibleLevel: number,
): Float64Array {
  let low = 0; // fits: nothing
  let high = infeasibleLevel;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (levelFits(turns, middle, mailboxes, bytes)) low = middle;
    else high = middle;
  }
  const n = turns.length;
  const shares = new Float64Array(n);
  const bytesSoFar = new Float64Array(n);
  let leftMailboxes = mailboxes;
  let leftBytes = bytes;
  let round: number[] = [];
  for (let i = 0; i < n; i++) {
    const turn = turns[i]!;
    shares[i] = Math.min(turn.demand, low);
    bytesSoFar[i] = shares[i]! > 0 ? turn.bytesFor(shares[i]!) : 0;
    leftMailboxes -= shares[i]!;
    leftBytes -= bytesSoFar[i]!;
    if (shares[i]! < turn.demand) round.push(i);
  }
  // Each round either grants a mailbox or drops a turn for good (the allowances only shrink), so this ends.
  while (round.length > 0 && leftMailboxes > 0) {
    const next: number[] = [];
    for (const i of round) {
      if (leftMailboxes <= 0) break;
      const turn = turns[i]!;
      const withOneMore = turn.bytesFor(shares[i]! + 1);
      const extra = withOneMore - bytesSoFar[i]!;
      if (extra > leftBytes) continue;
      shares[i] = shares[i]! + 1;
      bytesSoFar[i] = withOneMore;
      leftMailboxes--;
      leftBytes -= extra;
      if (shares[i]! < turn.demand) next.push(i);
    }
    round = next;
  }
  return shares;
}
