import type { SlotLease, SlotLedger } from '../../domain/scheduling/slot-leases';

export { maxLeaseChangesPerCommit } from '../../domain/scheduling/slot-leases';

/** What one commit changes besides the ledger: leases written whole, and leases removed. */
export interface SlotChanges {
  put?: SlotLease[];
  remove?: string[];
}

/**
 * The execution slots' shared state: the ledger and every lease in one partition, so a decision (the ledger,
 * ETag-checked, with the leases it moves) commits atomically across instances and the line is one-partition read.
 */
export interface ExecutionSlotStore {
  getLedger(): Promise<SlotLedger | null>;
  getLease(leaseId: string): Promise<SlotLease | null>;
  /** Every lease, expired ones included. */
  listLeases(): Promise<SlotLease[]>;
  /**
   * Writes the ledger — ETag-checked, or created when it has no ETag — and at most `maxLeaseChangesPerCommit`
   * lease changes, atomically.
   * @throws TriageError `concurrency` when the ledger changed (or was created) since it was read (nothing is
   *   written); RangeError for more changes than one commit holds.
   */
  commit(ledger: SlotLedger, changes: SlotChanges): Promise<SlotLedger>;
}
