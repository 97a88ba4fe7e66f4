import type { PoolClaimRecord, PoolLedger } from '../../domain/scheduling/pool-claims';

export { maxClaimChangesPerCommit } from '../../domain/scheduling/pool-claims';

/** What one commit changes besides the ledger: claims written whole, and claims removed. */
export interface PoolChanges {
  put?: PoolClaimRecord[];
  remove?: string[];
}

/**
 * Capacity pools: each pool's ledger and its claims in one partition, so a decision (the ledger, ETag-checked,
 * with the claims it moves) commits atomically and the line is a one-partition read.
 */
export interface PoolStore {
  /** The pool declared for a resource type and region (one point read), or null: the resource is unlimited. */
  findByResource(resourceType: string, region: string): Promise<string | null>;
  getLedger(poolId: string): Promise<PoolLedger | null>;
  /** Every pool's ledger, by pool id. */
  listLedgers(): Promise<PoolLedger[]>;
  /**
   * Declares a new pool.
   * @throws TriageError `conflict` when the pool id exists, or its resource type and region already have a pool.
   */
  create(ledger: PoolLedger): Promise<PoolLedger>;
  listClaims(poolId: string): Promise<PoolClaimRecord[]>;
  getClaim(poolId: string, requestId: string): Promise<PoolClaimRecord | null>;
  /**
   * Writes the ledger (ETag-checked) and at most `maxClaimChangesPerCommit` claim changes, atomically.
   * @throws TriageError `concurrency` when the ledger changed since it was read (nothing is written);
   *   RangeError for more changes than one commit holds.
   */
  commit(ledger: PoolLedger, changes: PoolChanges): Promise<PoolLedger>;
  /**
   * Writes the forecast and notification fields of waiting claims (position, ETA, reason, what was told),
   * each only if the claim did not change since it was read (its ETag). Other fields are left alone.
   * @returns the request ids whose claim had changed (not written).
   */
  writeForecast(poolId: string, claims: PoolClaimRecord[]): Promise<string[]>;
}
