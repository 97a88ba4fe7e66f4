import type { TableClient, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { ExecutionSlotStore, SlotChanges } from '../app/ports/execution-slots';
import { TriageError } from '../domain/errors';
import {
  emptySlotSummary,
  maxLeaseChangesPerCommit,
  type SlotLease,
  type SlotLeaseState,
  type SlotLedger,
} from '../domain/scheduling/slot-leases';
import { mapStorageError, orNull, storageStatus } from './storage-errors';

/** One partition for the whole ledger: every decision is serialised by the ledger row's ETag. */
const PARTITION = 'execution-slots';
const LEDGER = 'ledger';
const leaseKey = (leaseId: string): string => `lease-${leaseId}`;
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' ? v : v === undefined || v === '' ? fallback : Number(v);
const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' && v !== '' ? (JSON.parse(v) as T) : fallback;

function encodeLedger(l: SlotLedger): TableEntity {
  return {
    partitionKey: PARTITION,
    rowKey: LEDGER,
    Capacity: l.spec.capacity,
    Reserved: JSON.stringify(l.spec.reserved),
    Summary: JSON.stringify(l.summary),
    Version: l.version,
  };
}

function decodeLedger(e: TableEntityResult<Record<string, unknown>>): SlotLedger {
  return {
    spec: { capacity: num(e.Capacity), reserved: json(e.Reserved, {}) },
    summary: json(e.Summary, emptySlotSummary()),
    version: num(e.Version),
    ...(e.etag ? { etag: e.etag } : {}),
  };
}

function encodeLease(l: SlotLease): TableEntity {
  return {
    partitionKey: PARTITION,
    rowKey: leaseKey(l.leaseId),
    LeaseId: l.leaseId,
    RequestId: l.requestId,
    OrgId: l.orgId,
    Tier: l.tier,
    ArrivedAtMs: l.arrivedAtMs,
    State: l.state,
    Slots: l.slots,
    MinSlots: l.minSlots,
    Holder: l.holder,
    ExpiresAtMs: l.expiresAtMs,
    YieldRequested: l.yieldRequested,
    SinceMs: l.sinceMs,
  };
}

function decodeLease(e: TableEntityResult<Record<string, unknown>>): SlotLease {
  return {
    leaseId: e.LeaseId as string,
    requestId: e.RequestId as string,
    orgId: e.OrgId as string,
    tier: e.Tier as string,
    arrivedAtMs: num(e.ArrivedAtMs),
    state: e.State as SlotLeaseState,
    slots: num(e.Slots),
    minSlots: num(e.MinSlots, 1),
    holder: e.Holder as string,
    expiresAtMs: num(e.ExpiresAtMs),
    yieldRequested: e.YieldRequested === true,
    sinceMs: num(e.SinceMs),
    ...(e.etag ? { etag: e.etag } : {}),
  };
}

/** The `slots` table: PartitionKey `execution-slots`, the ledger (RowKey `ledger`) and one row per lease. */
export class TableSlotStore implements ExecutionSlotStore {
  constructor(private readonly table: TableClient) {}

  async getLedger(): Promise<SlotLedger | null> {
    const e = await orNull(this.table.getEntity<Record<string, unknown>>(PARTITION, LEDGER));
    return e ? decodeLedger(e) : null;
  }

  async getLease(leaseId: string): Promise<SlotLease | null> {
    const e = await orNull(this.table.getEntity<Record<string, unknown>>(PARTITION, leaseKey(leaseId)));
    return e ? decodeLease(e) : null;
  }

  async listLeases(): Promise<SlotLease[]> {
    // RowKeys `lease-…` sort between `lease-` and `lease.` (`.` follows `-`): one range of one partition.
    const filter = `PartitionKey eq '${PARTITION}' and RowKey ge 'lease-' and RowKey lt 'lease.'`;
    const leases: SlotLease[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      leases.push(decodeLease(e));
    }
    return leases;
  }

  async commit(ledger: SlotLedger, changes: SlotChanges): Promise<SlotLedger> {
    const put = changes.put ?? [];
    const remove = changes.remove ?? [];
    if (put.length + remove.length > maxLeaseChangesPerCommit) {
      throw new RangeError(`a commit holds at most ${maxLeaseChangesPerCommit} lease changes`);
    }
    const actions: TransactionAction[] = [
      ledger.etag
        ? ['update', encodeLedger(ledger), 'Replace', { etag: ledger.etag }]
        : ['create', encodeLedger(ledger)],
      ...put.map((l): TransactionAction => ['upsert', encodeLease(l), 'Replace']),
      ...remove.map((id): TransactionAction => ['delete', { partitionKey: PARTITION, rowKey: leaseKey(id) }]),
    ];
    try {
      const response = await this.table.submitTransaction(actions);
      const etag = response.subResponses[0]?.etag;
      return { ...ledger, ...(etag ? { etag } : {}) };
    } catch (err: unknown) {
      // The ledger created by another instance meanwhile, or a lease already removed: read again.
      const status = storageStatus(err);
      if (status === 409 || status === 404) {
        throw new TriageError('concurrency', 'the execution slots changed since they were read', {
          cause: err,
        });
      }
      return mapStorageError(err, 'the execution slots');
    }
  }
}
