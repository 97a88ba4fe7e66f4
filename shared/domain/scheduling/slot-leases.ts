/**
 * Execution slots (SCHEDULING.md, "three kinds of capacity"): the executor back-end's concurrency as a declared
 * capacity, held by leases. One lease per unit of work (a migration batch, a provisioning), stored as one row
 * beside the ledger in one partition; a lease is `held` (it may call the executor with that many calls at
 * once) or `waiting` (it asks for slots, in line). Every lease expires: a crashed holder's slots come back
 * when its lease runs out, and the next decision drops it. Pure: this file holds the records, the ledger's
 * summary and the cheap decisions the ledger alone can take; `execution-slots.ts` holds the full decision.
 */
import { amountsByIndex, headroomOf, tierTable } from './capacity';
import { tiersInOrder, type TierPolicy } from './waiting-line';

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
  /** The earliest expiry of any lease (a lower bound after cheap updates), or null when there is none. */
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

/**
 * The slots in use per tier, and what each tier could take now, from the ledger alone.
 * @throws RangeError on duplicate tier names or ranks.
 */
export function slotHeadroom(
  spec: SlotSpec,
  tiers: readonly TierPolicy[],
  usedByTier: Readonly<Record<string, number>>,
  tier: string,
): number {
  const table = tierTable(tiers);
  return headroomOf(
    table.indexOf(tier),
    spec.capacity,
    amountsByIndex(table, spec.reserved),
    amountsByIndex(table, usedByTier),
  );
}

/**
 * Whether the ledger alone decides an acquire: `grant` when no lease may have expired, nothing waits in the
 * lease's tier or above (nor anywhere while bounded-wait promotion could reorder the line), and its whole
 * ask fits what its tier may take — exactly when the full decision grants it at once; `full` otherwise.
 */
export function acquireShortcut(
  ledger: Pick<SlotLedger, 'spec' | 'summary'>,
  tiers: readonly TierPolicy[],
  lease: Pick<SlotLease, 'tier' | 'slots'>,
  nowMs: number,
): 'grant' | 'full' {
  const { summary } = ledger;
  if (summary.nextExpiryMs !== null && summary.nextExpiryMs <= nowMs) return 'full';
  const ordered = tiersInOrder(tiers);
  const waiting = (name: string): boolean => (summary.waitingByTier[name] ?? 0) > 0;
  if (ordered.some((t) => t.maxWaitInMs !== undefined) && ordered.some((t) => waiting(t.name))) return 'full';
  const index = ordered.findIndex((t) => t.name === lease.tier);
  if (index < 0 || ordered.slice(0, index + 1).some((t) => waiting(t.name))) return 'full';
  return lease.slots <= slotHeadroom(ledger.spec, tiers, summary.usedByTier, lease.tier) ? 'grant' : 'full';
}

/** Whether the ledger alone decides a release (or a renewal): nothing waits and no lease may have expired. */
export function quietShortcut(summary: SlotSummary, nowMs: number): boolean {
  if (summary.nextExpiryMs !== null && summary.nextExpiryMs <= nowMs) return false;
  return Object.values(summary.waitingByTier).every((slots) => slots <= 0);
}

/** The summary after a lease was granted from the ledger alone. */
export function withHeld(summary: SlotSummary, lease: SlotLease): SlotSummary {
  return {
    ...summary,
    usedByTier: { ...summary.usedByTier, [lease.tier]: (summary.usedByTier[lease.tier] ?? 0) + lease.slots },
    nextExpiryMs: Math.min(summary.nextExpiryMs ?? Infinity, lease.expiresAtMs),
  };
}

/** The summary after a held lease was released from the ledger alone (`nextExpiryMs` stays a lower bound). */
export function withoutHeld(summary: SlotSummary, lease: Pick<SlotLease, 'tier' | 'slots'>): SlotSummary {
  const left = Math.max(0, (summary.usedByTier[lease.tier] ?? 0) - lease.slots);
  const usedByTier = { ...summary.usedByTier, [lease.tier]: left };
  if (left === 0) delete usedByTier[lease.tier];
  return { ...summary, usedByTier };
}
