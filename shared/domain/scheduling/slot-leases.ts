/**
 * Execution slots (SCHEDULING.md, "three kinds of capacity"): the executor back-end's concurrency as a declared
 * capacity, held by leases. One lease per unit of work (a migration batch, a provisioning), stored as one row
 * beside the ledger in one partition; a lease is `held` (it may call the executor with that many calls at
 * once) or `waiting` (it asks for slots, in line). Every lease expires: a crashed holder's slots come back
 * when its lease runs out, and the next decision drops it. Pure: this file holds the records and the ledger's
 * summary; `execution-slots.ts` holds the decision.
 */

/** The declared capacity: how many executor calls may run at once, and what each tier reserves of it. */
export interface SlotSpec {
  capacity: number;
  /** Withheld from every lower tier while the named tier does not use it (nested, as for pools). */
  reserved: Readonly<Record<string, number>>;
}

export type SlotLeaseState = 'held' | 'waiting';

export interface SlotLease {
  /** The unit of work: `{requestId}:batch-0007` or `{requestId}:provision`. */
  leaseId: string;
  requestId: string;
  orgId: string;
  /** The organisation's verified tier. */
  tier: string;
  /** The request's intake time: its place in the line (kept across deliveries and yields). */
  arrivedAtMs: number;
  state: SlotLeaseState;
  /** `held`: the slots it holds; `waiting`: the most it asks for (it may be granted fewer). */
  slots: number;
  /** The fewest it starts with: many small grants would spread the slots thin over many half-idle batches. */
  minSlots: number;
  /** The delivery that holds or waits (a random token): another delivery of the same work is not it. */
  holder: string;
  /** After this the lease is void, whoever holds it: its slots are free again. */
  expiresAtMs: number;
  /** A held lease asked to give its slots back at its next checkpoint, for higher-tier work waiting. */
  yieldRequested: boolean;
  /** When it was granted (`held`) or joined the line (`waiting`). */
  sinceMs: number;
  etag?: string;
}

/** What the ledger knows of its leases without reading them. */
export interface SlotSummary {
  usedByTier: Record<string, number>;
  /** Slots asked for by waiting leases, per tier. */
  waitingByTier: Record<string, number>;
  /** The earliest expiry of any lease, or null when there is none. */
  nextExpiryMs: number | null;
}

/** The ledger row: its ETag serialises every decision on the slots, across instances. */
export interface SlotLedger {
  spec: SlotSpec;
  summary: SlotSummary;
  /** Counts decisions. */
  version: number;
  etag?: string;
}

/** Lease changes one commit carries besides the ledger (an entity-group transaction holds 100 entities). */
export const maxLeaseChangesPerCommit = 99;

export const emptySlotSummary = (): SlotSummary => ({
  usedByTier: {},
  waitingByTier: {},
  nextExpiryMs: null,
});

export const isExpired = (lease: Pick<SlotLease, 'expiresAtMs'>, nowMs: number): boolean =>
  lease.expiresAtMs <= nowMs;

/** The summary recomputed from the rows (expired rows still count towards `nextExpiryMs`, so they get purged). */
export function summaryOfLeases(leases: readonly SlotLease[], nowMs: number): SlotSummary {
  const summary = emptySlotSummary();
  for (const lease of leases) {
    summary.nextExpiryMs = Math.min(summary.nextExpiryMs ?? Infinity, lease.expiresAtMs);
    if (isExpired(lease, nowMs)) continue;
    const into = lease.state === 'held' ? summary.usedByTier : summary.waitingByTier;
    into[lease.tier] = (into[lease.tier] ?? 0) + lease.slots;
  }
  return summary;
}
