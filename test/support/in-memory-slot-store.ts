import type { ExecutionSlotStore, SlotChanges } from '../../shared/app/ports/execution-slots';
import { TriageError } from '../../shared/domain/errors';
import {
  maxLeaseChangesPerCommit,
  type SlotLease,
  type SlotLedger,
} from '../../shared/domain/scheduling/slot-leases';

const clone = <T>(v: T): T => structuredClone(v);

/** The execution slots' partition in memory, with the Table adapter's ETag and transaction semantics. */
export class MemorySlotStore implements ExecutionSlotStore {
  ledger: SlotLedger | null = null;
  leases = new Map<string, SlotLease>();
  /** Commits made, for tests that count storage transactions. */
  commits = 0;
  private version = 0;

  async getLedger(): Promise<SlotLedger | null> {
    return this.ledger ? clone(this.ledger) : null;
  }
  async getLease(leaseId: string): Promise<SlotLease | null> {
    const lease = this.leases.get(leaseId);
    return lease ? clone(lease) : null;
  }
  async listLeases(): Promise<SlotLease[]> {
    return [...this.leases.values()].map(clone);
  }
  async commit(ledger: SlotLedger, changes: SlotChanges): Promise<SlotLedger> {
    const put = changes.put ?? [];
    const remove = changes.remove ?? [];
    if (put.length + remove.length > maxLeaseChangesPerCommit) {
      throw new RangeError(`a commit holds at most ${maxLeaseChangesPerCommit} lease changes`);
    }
    const stale = ledger.etag ? this.ledger?.etag !== ledger.etag : this.ledger !== null;
    if (stale || remove.some((id) => !this.leases.has(id))) {
      throw new TriageError('concurrency', 'the execution slots changed since they were read');
    }
    this.commits++;
    for (const id of remove) this.leases.delete(id);
    for (const lease of put)
      this.leases.set(lease.leaseId, { ...clone(lease), etag: `W/"l${++this.version}"` });
    this.ledger = { ...clone(ledger), etag: `W/"${++this.version}"` };
    return clone(this.ledger);
  }
}
