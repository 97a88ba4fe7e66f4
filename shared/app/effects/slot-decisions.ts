/**
 * Decisions on the execution slots, applied to their partition: the ledger (ETag-checked) and the leases the
 * decisions move commit together, so instances never grant the same slot twice. Every row of the one ledger
 * is a hot spot, so each process sends its decisions through one writer that group-commits them: the changes
 * waiting while a commit is under way are decided together (the domain's `decideSlots`, one after the other
 * on the same rows) and written in the next single commit. Conflicts then only arise between instances, and
 * the ledger's rate of commits no longer limits how many grants and releases it serves.
 */
import { decideSlots, type SlotChange, type SlotDecision } from '../../domain/scheduling/execution-slots';
import {
  emptySlotSummary,
  maxLeaseChangesPerCommit,
  summaryOfLeases,
  type SlotLease,
  type SlotLedger,
} from '../../domain/scheduling/slot-leases';
import type { AppContext, ExecutionSlotSettings } from '../context';
import type { ExecutionSlotStore } from '../ports/execution-slots';
import { retryOnConflict } from './retry-on-conflict';

/** Decisions collide only across instances now, but each attempt re-reads the partition: bound them. */
const decisionAttempts = 40;
/** Room left in a commit for the line's own moves (grants, yields, purges) when a group is cut. */
const groupChangeBudget = maxLeaseChangesPerCommit - 40;

/** The part of a decision the caller acts on, and the leases it wrote (granted, asked to yield). */
export type SlotResult = Pick<SlotDecision, 'outcome' | 'own' | 'position'> & { changed: SlotLease[] };

interface Pending {
  change: SlotChange | undefined;
  resolve(result: SlotResult): void;
  reject(err: unknown): void;
}

class SlotLedgerWriter {
  private readonly queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly store: ExecutionSlotStore,
    private readonly settings: ExecutionSlotSettings,
  ) {}

  submit(change: SlotChange | undefined): Promise<SlotResult> {
    return new Promise<SlotResult>((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.queue.length);
        try {
          const { results, leftOver } = await retryOnConflict(() => this.decide(group), {
            what: 'the execution slots',
            maxAttempts: decisionAttempts,
          });
          // What did not fit one commit goes first in the next group.
          this.queue.unshift(...leftOver);
          results.forEach((result, i) => group[i]!.resolve(result));
        } catch (err: unknown) {
          for (const pending of group) pending.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One read of the partition, the group's changes decided in order, one commit. */
  private async decide(group: readonly Pending[]): Promise<{ results: SlotResult[]; leftOver: Pending[] }> {
    const [ledger, read] = await Promise.all([this.store.getLedger(), this.store.listLeases()]);
    const nowMs = this.ctx.clock().getTime();
    const existing = new Set(read.map((lease) => lease.leaseId));
    const rows = new Map(read.map((lease) => [lease.leaseId, lease]));
    const put = new Map<string, SlotLease>();
    const remove = new Set<string>();
    const results: SlotResult[] = [];
    for (const pending of group) {
      if (results.length > 0 && put.size + remove.size >= groupChangeBudget) break;
      const decision = decideSlots({
        changeBudget: maxLeaseChangesPerCommit - put.size - remove.size,
        spec: this.settings.spec,
        tiers: this.ctx.tierPolicies,
        leases: [...rows.values()],
        nowMs,
        leaseDurationMs: this.settings.leaseDurationMs,
        ...(pending.change ? { change: pending.change } : {}),
      });
      for (const id of decision.remove) {
        rows.delete(id);
        put.delete(id);
        if (existing.has(id)) remove.add(id);
      }
      for (const lease of decision.put) {
        rows.set(lease.leaseId, lease);
        put.set(lease.leaseId, lease);
        remove.delete(lease.leaseId);
      }
      results.push({
        outcome: decision.outcome,
        own: decision.own,
        ...(decision.position !== undefined ? { position: decision.position } : {}),
        changed: decision.put,
      });
    }
    const sameSpec =
      ledger?.spec.capacity === this.settings.spec.capacity &&
      JSON.stringify(ledger.spec.reserved) === JSON.stringify(this.settings.spec.reserved);
    if (put.size > 0 || remove.size > 0 || !sameSpec) {
      const base: SlotLedger = ledger ?? {
        spec: this.settings.spec,
        summary: emptySlotSummary(),
        version: 0,
      };
      await this.store.commit(
        {
          ...base,
          spec: this.settings.spec,
          summary: summaryOfLeases([...rows.values()], nowMs),
          version: base.version + 1,
        },
        { put: [...put.values()], remove: [...remove] },
      );
    }
    return { results, leftOver: group.slice(results.length) };
  }
}

const writers = new WeakMap<ExecutionSlotStore, SlotLedgerWriter>();

/**
 * Applies one change to the slots (or none: purge what expired and dispatch the line), group-committed with
 * the other decisions of this process.
 * @throws TriageError `concurrency` when the ledger kept changing; storage errors as the adapter maps them.
 */
export function decideOnSlots(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
  change?: SlotChange,
): Promise<SlotResult> {
  let writer = writers.get(store);
  if (!writer) {
    writer = new SlotLedgerWriter(ctx, store, settings);
    writers.set(store, writer);
  }
  return writer.submit(change);
}
