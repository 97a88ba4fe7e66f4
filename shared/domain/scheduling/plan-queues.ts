/**
 * The planner's working state: each claim's remaining work, and each organisation's queue of eligible
 * claims at the tier they are served at, in arrival order (its own claims go first come, first served).
 */
import type { FairShareTurn } from './fair-share';
import type { MigrationClaim } from './plan-types';

export interface ClaimState {
  readonly claim: MigrationClaim;
  /** Position in the planner's input. */
  readonly index: number;
  readonly orgIndex: number;
  /** Index of the claim's own tier among the plan's tier keys (what totals are counted under). */
  readonly tierKey: number;
  /** Index of the tier it is served at now (after bounded-wait promotion). */
  servedTier: number;
  remainingMailboxes: number;
  remainingBytes: number;
  /** First day index it may be planned on; Infinity when never (not ready). */
  eligibleDay: number;
  /** Planned days, flat: day index, mailboxes, bytes, … */
  readonly days: number[];
  queue: OrgQueue | null;
}

/**
 * The bytes of `take` mailboxes out of a claim's remaining work: in proportion, rounded down, and all
 * that is left with the last mailbox — so a claim's days add up to its bytes exactly.
 */
export function bytesToTake(remainingMailboxes: number, remainingBytes: number, take: number): number {
  if (take <= 0) return 0;
  if (take >= remainingMailboxes) return remainingBytes;
  // Divide first: bytes × mailboxes can pass 2^53, the share of one mailbox cannot.
  return Math.min(remainingBytes, Math.floor((remainingBytes / remainingMailboxes) * take));
}

function arrivesBefore(a: ClaimState, b: ClaimState): boolean {
  const byTime = a.claim.arrivedAtMs - b.claim.arrivedAtMs;
  return byTime < 0 || (byTime === 0 && a.claim.requestId < b.claim.requestId);
}

/** One organisation's eligible claims served at one tier. */
export class OrgQueue implements FairShareTurn {
  /** Pending claims, in arrival order. */
  readonly claims: ClaimState[] = [];
  eligibleRemaining = 0;
  /** In its tier's active list. */
  active = false;
  /** Scratch for the day's turn: what it can take. */
  demand = 0;

  constructor(
    readonly orgIndex: number,
    readonly tierIndex: number,
  ) {}

  /**
   * When its longest-waiting claim arrived: the organisation waiting longest goes first. A field kept
   * up to date (not a getter) because every tier's turn sorts by it.
   */
  waitingSinceMs = Infinity;

  private refreshWaitingSince(): void {
    this.waitingSinceMs = this.claims[0]?.claim.arrivedAtMs ?? Infinity;
  }

  add(state: ClaimState): void {
    let at = this.claims.length;
    while (at > 0 && arrivesBefore(state, this.claims[at - 1]!)) at--;
    this.claims.splice(at, 0, state);
    this.eligibleRemaining += state.remainingMailboxes;
    state.queue = this;
    this.refreshWaitingSince();
  }

  remove(state: ClaimState): void {
    const at = this.claims.indexOf(state);
    if (at < 0) return;
    this.claims.splice(at, 1);
    this.eligibleRemaining -= state.remainingMailboxes;
    state.queue = null;
    this.refreshWaitingSince();
  }

  bytesFor(mailboxes: number): number {
    let left = mailboxes;
    let bytes = 0;
    for (const state of this.claims) {
      if (left <= 0) break;
      const take = Math.min(state.remainingMailboxes, left);
      bytes += bytesToTake(state.remainingMailboxes, state.remainingBytes, take);
      left -= take;
    }
    return bytes;
  }

  /** Takes `mailboxes` from its claims in arrival order, telling `record` each claim's part. */
  take(mailboxes: number, record: (state: ClaimState, mailboxes: number, bytes: number) => void): void {
    let left = mailboxes;
    while (left > 0 && this.claims.length > 0) {
      const state = this.claims[0]!;
      const take = Math.min(state.remainingMailboxes, left);
      const bytes = bytesToTake(state.remainingMailboxes, state.remainingBytes, take);
      state.remainingMailboxes -= take;
      state.remainingBytes -= bytes;
      this.eligibleRemaining -= take;
      left -= take;
      record(state, take, bytes);
      if (state.remainingMailboxes === 0) {
        this.claims.shift();
        state.queue = null;
        this.refreshWaitingSince();
      }
    }
  }
}

/** Waiting order of queues within a tier: longest waiting first, then by organisation id. */
export function byWaitingOrder(a: OrgQueue, b: OrgQueue): number {
  return a.waitingSinceMs - b.waitingSinceMs || a.orgIndex - b.orgIndex;
}
