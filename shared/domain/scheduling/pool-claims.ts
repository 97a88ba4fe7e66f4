/**
 * A pool's claims as they are stored, one row each in the pool's partition beside its ledger, and the
 * summary the ledger keeps of them so that most arrivals are decided from the ledger alone (one point
 * read and one ETag write) instead of reading the whole line. Pure.
 */
import { amountsByIndex, capacityAt, headroomOf, tierTable } from './capacity';
import type { CapacityClaim, CapacityHolding } from './capacity-line';
import { poolCapacitySpec, type PoolDefinition } from './pool';
import { tiersInOrder, type TierPolicy } from './waiting-line';

/** `waiting` in the line; `admitted` (capacity taken, not started: may be pushed back); `started` (never). */
export type ClaimState = 'waiting' | 'admitted' | 'started';

export interface PoolClaimRecord {
  /** The provisioning request that claims. */
  requestId: string;
  orgId: string;
  /** The organisation's verified tier. */
  tier: string;
  quantity: number;
  /** The request's intake time: its place in the line. */
  arrivedAtMs: number;
  /** When the requester expects to release it (ETAs only). */
  holdUntilMs?: number;
  state: ClaimState;
  /** When it was last admitted (a claim admitted long ago and still not started has lost its message). */
  admittedAtMs?: number;
  /** The forecast of a waiting claim, as last computed. */
  position?: number;
  aheadByTier?: Record<string, number>;
  etaMs?: number | null;
  etaComputedAtMs?: number;
  reason?: string;
  /** Whether the requester was told it waits (reset when it is admitted), and the ETA it was last told. */
  notifiedDeferral?: boolean;
  notifiedEtaMs?: number | null;
  /** Bounded-wait promotions the requester was told about. */
  promotions?: number;
  etag?: string;
}

/** What the ledger knows of its claims without reading them. */
export interface LedgerSummary {
  usedByTier: Record<string, number>;
  waitingByTier: Record<string, number>;
  /** Admitted claims that have not started (the only ones preemption can push back). */
  admittedNotStarted: number;
}

/**
 * A pool's ledger: its definition and the summary of its claims. Every admission decision writes it with
 * its ETag, so concurrent decisions on one pool are serialised by the storage, never by a lock. `version`
 * counts decisions; the forecast (positions, ETAs) is current when `forecastVersion` equals it.
 */
export interface PoolLedger {
  pool: PoolDefinition;
  summary: LedgerSummary;
  version: number;
  forecastVersion: number;
  /** Until when one worker recomputes the forecast (others leave it to it). */
  forecastLeaseUntilMs: number;
  /** When bounded-wait promotion next reorders the line (the timer dispatches then), or null. */
  nextPromotionAtMs: number | null;
  etag?: string;
}

/** Most claim changes one commit carries (an entity-group transaction holds 100 entities, the ledger included). */
export const maxClaimChangesPerCommit = 99;

export const emptySummary = (): LedgerSummary => ({
  usedByTier: {},
  waitingByTier: {},
  admittedNotStarted: 0,
});

/** The summary recomputed from the rows (the full path writes it, so the incremental one cannot drift). */
export function summaryOf(claims: readonly PoolClaimRecord[]): LedgerSummary {
  const summary = emptySummary();
  for (const c of claims) {
    if (c.state === 'waiting') summary.waitingByTier[c.tier] = (summary.waitingByTier[c.tier] ?? 0) + 1;
    else summary.usedByTier[c.tier] = (summary.usedByTier[c.tier] ?? 0) + c.quantity;
    if (c.state === 'admitted') summary.admittedNotStarted++;
  }
  return summary;
}

/** The summary after one arrival was admitted and started at once. */
export function withStarted(
  summary: LedgerSummary,
  claim: Pick<PoolClaimRecord, 'tier' | 'quantity'>,
): LedgerSummary {
  return {
    ...summary,
    usedByTier: {
      ...summary.usedByTier,
      [claim.tier]: (summary.usedByTier[claim.tier] ?? 0) + claim.quantity,
    },
  };
}

/** The summary after one arrival was added to the line. */
export function withWaiting(summary: LedgerSummary, claim: Pick<PoolClaimRecord, 'tier'>): LedgerSummary {
  return {
    ...summary,
    waitingByTier: { ...summary.waitingByTier, [claim.tier]: (summary.waitingByTier[claim.tier] ?? 0) + 1 },
  };
}

/** The summary after an admitted claim started (it keeps its capacity; it can no longer be pushed back). */
export function withStartedAdmission(summary: LedgerSummary): LedgerSummary {
  return { ...summary, admittedNotStarted: Math.max(0, summary.admittedNotStarted - 1) };
}

export function asCapacityClaim(row: PoolClaimRecord): CapacityClaim {
  return {
    id: row.requestId,
    orgId: row.orgId,
    tier: row.tier,
    arrivedAtMs: row.arrivedAtMs,
    quantity: row.quantity,
    ...(row.holdUntilMs !== undefined ? { holdUntilMs: row.holdUntilMs } : {}),
  };
}

export function asHolding(row: PoolClaimRecord): CapacityHolding {
  return { ...asCapacityClaim(row), started: row.state === 'started' };
}

/**
 * Decides an arrival from the ledger's summary when that is enough, and says `full` when the whole line
 * must be read (`dispatch`/`decideArrival`):
 * - `admit`: nothing waits in its tier or above, no bounded-wait promotion can reorder the line, and it
 *   fits what its tier may take — exactly when the full decision admits it without preempting;
 * - `defer`: it does not fit and nothing admitted-but-not-started could be pushed back for it, or a
 *   higher tier waits (strict: the head of the line blocks those behind it);
 * - `full` otherwise (backfill pools, a same-tier line whose fair turns decide, possible preemption).
 */
export function arrivalShortcut(
  ledger: Pick<PoolLedger, 'pool' | 'summary'>,
  tiers: readonly TierPolicy[],
  claim: Pick<PoolClaimRecord, 'tier' | 'quantity'>,
  nowMs: number,
): 'admit' | 'defer' | 'full' {
  if (ledger.pool.policy === 'backfill') return 'full';
  const ordered = tiersInOrder(tiers);
  const { waitingByTier } = ledger.summary;
  if (ordered.some((t) => t.maxWaitInMs !== undefined && (waitingByTier[t.name] ?? 0) > 0)) return 'full';
  const table = tierTable(tiers);
  const index = table.indexOf(claim.tier);
  const waitingAbove = table.names.slice(0, index).some((name) => (waitingByTier[name] ?? 0) > 0);
  const waitingSame = (waitingByTier[claim.tier] ?? 0) > 0;
  const spec = poolCapacitySpec(ledger.pool);
  const headroom = headroomOf(
    index,
    capacityAt(spec, nowMs),
    amountsByIndex(table, spec.reserved),
    amountsByIndex(table, ledger.summary.usedByTier),
  );
  const fits = claim.quantity <= headroom;
  if (waitingAbove) return 'defer';
  if (fits) return waitingSame ? 'full' : 'admit';
  return ledger.summary.admittedNotStarted === 0 ? 'defer' : 'full';
}
