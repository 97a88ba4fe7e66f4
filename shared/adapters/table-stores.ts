import {
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { createHash, randomUUID } from 'node:crypto';
import { batchLabel, batchPartitionKey, itemRowKey } from '../domain/batches';
import { TriageError } from '../domain/errors';
import { odataAnd, odataEquals, odataLiteral } from '../domain/odata';
import type { BatchRecord, ItemRecord, RequestEvent, RequestRecord } from '../domain/records';
import type { NotificationType } from '../domain/notifications';
import type { RequestKind } from '../domain/requests';
import type { TotalsByTier } from '../domain/request-totals';
import type { BatchStatus, ItemStatus, RequestStatus } from '../domain/status';
import type {
  ActivityEntry,
  ActivityIndex,
  DeadLetterEntry,
  DeadLetterLog,
  EventStore,
  IdempotencyClaim,
  IdempotencyStore,
  ItemStore,
  ListRequestsFilter,
  Page,
  RequestStore,
} from '../app/ports/stores';
import { isNotFound, mapStorageError, storageCall } from './storage-errors';
import { TableHoldStore } from './table-hold-store';
import { TableOrgStore } from './table-org-store';
import { TablePoolStore } from './table-pool-store';
import { TableRequestIndex } from './table-request-index';
import { TableProgrammeStore } from './table-programme-store';
import { TableAuditStore, TableMembershipStore } from './table-identity-stores';
import { TableSlotStore } from './table-slot-store';
import { TableMailboxClaimStore } from './table-mailbox-claims';

/** Table names, with an optional prefix so parallel test runs never share a table. */
export function tableNames(
  prefix = '',
): Record<
  | 'requests'
  | 'requestsByOrg'
  | 'requestsByTime'
  | 'items'
  | 'events'
  | 'orgs'
  | 'idempotency'
  | 'pools'
  | 'programme'
  | 'memberships'
  | 'membersByOrg'
  | 'audit'
  | 'activity'
  | 'deadLetters'
  | 'holds'
  | 'slots'
  | 'mailboxClaims',
  string
> {
  const p = prefix.replace(/[^A-Za-z0-9]/g, '');
  return {
    requests: `${p}requests`,
    requestsByOrg: `${p}requestsbyorg`,
    requestsByTime: `${p}requestsbytime`,
    items: `${p}items`,
    events: `${p}events`,
    orgs: `${p}orgs`,
    idempotency: `${p}idempotency`,
    pools: `${p}pools`,
    programme: `${p}programme`,
    memberships: `${p}memberships`,
    membersByOrg: `${p}membersbyorg`,
    audit: `${p}audit`,
    activity: `${p}activity`,
    deadLetters: `${p}deadletters`,
    holds: `${p}holds`,
    slots: `${p}slots`,
    mailboxClaims: `${p}mailboxclaims`,
  };
}

/** Creates a table if it does not exist (Table Storage answers 409 when it does). */
export async function ensureTable(client: TableClient): Promise<void> {
  try {
    await client.createTable();
  } catch (err: unknown) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}

/** Sends entity-group transactions of at most 100 actions (the service's limit), one partition each. */
async function submitInChunks(
  client: TableClient,
  actions: TransactionAction[],
  what: string,
): Promise<void> {
  for (let start = 0; start < actions.length; start += 100) {
    try {
      await client.submitTransaction(actions.slice(start, start + 100));
    } catch (err: unknown) {
      mapStorageError(err, what);
    }
  }
}

const REQUEST_ROW = 'request';
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : fallback;

function encodeRequest(r: RequestRecord): TableEntity {
  return {
    partitionKey: r.id,
    rowKey: REQUEST_ROW,
    Kind: r.kind,
    OrgId: r.orgId,
    Tier: r.tier,
    Status: r.status,
    CreatedAt: r.createdAt,
    UpdatedAt: r.updatedAt,
    Resource: r.resource ? JSON.stringify(r.resource) : '',
    HoldUntil: r.holdUntil ?? '',
    PoolId: r.poolId ?? '',
    Programme: r.programme ?? false,
    Inventory: r.inventory ?? '',
    BatchCount: r.batchCount ?? -1,
    BatchesCompleted: r.batchesCompleted,
    Total: r.total,
    Succeeded: r.succeeded,
    Failed: r.failed,
    BodyHash: r.bodyHash ?? '',
    ProcessedBy: r.processedBy ?? '',
    Reason: (r.reason ?? '').slice(0, 2000),
    DeadLettered: r.deadLettered ?? false,
    RetryCount: r.retryCount,
    Attempts: r.attempts ?? 0,
    ChainAttempt: r.chainAttempt ?? 0,
    Unpublished: r.unpublished ?? false,
    Skipped: r.skipped ?? 0,
    Planning: r.planning ? JSON.stringify(r.planning) : '',
    Duplicates: r.duplicates ? JSON.stringify(r.duplicates) : '',
    Operation: r.operation ? JSON.stringify(r.operation) : '',
  };
}

function decodeRequest(e: TableEntityResult<Record<string, unknown>>): RequestRecord {
  const batchCount = num(e.BatchCount, -1);
  const resource = str(e.Resource);
  const record: RequestRecord = {
    id: e.partitionKey as string,
    kind: e.Kind as RequestKind,
    orgId: e.OrgId as string,
    tier: e.Tier as string,
    status: e.Status as RequestStatus,
    createdAt: e.CreatedAt as string,
    updatedAt: e.UpdatedAt as string,
    batchesCompleted: num(e.BatchesCompleted),
    total: num(e.Total),
    succeeded: num(e.Succeeded),
    failed: num(e.Failed),
    retryCount: num(e.RetryCount),
    deadLettered: e.DeadLettered === true,
  };
  if (resource) record.resource = JSON.parse(resource) as RequestRecord['resource'];
  if (str(e.Inventory)) record.inventory = str(e.Inventory);
  if (str(e.HoldUntil)) record.holdUntil = str(e.HoldUntil);
  if (str(e.PoolId)) record.poolId = str(e.PoolId);
  if (e.Programme === true) record.programme = true;
  if (batchCount >= 0) record.batchCount = batchCount;
  if (str(e.BodyHash)) record.bodyHash = str(e.BodyHash);
  if (str(e.ProcessedBy)) record.processedBy = str(e.ProcessedBy);
  if (str(e.Reason)) record.reason = str(e.Reason);
  if (num(e.Attempts) > 0) record.attempts = num(e.Attempts);
  if (num(e.ChainAttempt) > 0) record.chainAttempt = num(e.ChainAttempt);
  if (e.Unpublished === true) record.unpublished = true;
  if (num(e.Skipped) > 0) record.skipped = num(e.Skipped);
  if (str(e.Planning)) record.planning = JSON.parse(str(e.Planning) as string) as RequestRecord['planning'];
  if (str(e.Duplicates)) {
    record.duplicates = JSON.parse(str(e.Duplicates) as string) as RequestRecord['duplicates'];
  }
  if (str(e.Operation))
    record.operation = JSON.parse(str(e.Operation) as string) as RequestRecord['operation'];
  if (e.etag) record.etag = e.etag;
  return record;
}

function encodeBatch(b: BatchRecord): TableEntity {
  return {
    partitionKey: b.requestId,
    rowKey: batchLabel(b.batchNumber),
    BatchNumber: b.batchNumber,
    Status: b.status,
    Total: b.total,
    Succeeded: b.succeeded,
    Failed: b.failed,
    Manifest: b.manifest,
    ProcessedBy: b.processedBy ?? '',
    DeadLettered: b.deadLettered ?? false,
    LastError: (b.lastError ?? '').slice(0, 2000),
    ChainAttempt: b.chainAttempt ?? 0,
    InProgress: b.inProgress ?? 0,
  };
}

function decodeBatch(e: TableEntityResult<Record<string, unknown>>): BatchRecord {
  const batch: BatchRecord = {
    requestId: e.partitionKey as string,
    batchNumber: num(e.BatchNumber),
    // Batches created by planning carry only their static fields until first touched.
    status: (str(e.Status) ?? 'queued') as BatchStatus,
    total: num(e.Total),
    succeeded: num(e.Succeeded),
    failed: num(e.Failed),
    manifest: (e.Manifest as string) ?? '',
    deadLettered: e.DeadLettered === true,
  };
  if (str(e.ProcessedBy)) batch.processedBy = str(e.ProcessedBy);
  if (str(e.LastError)) batch.lastError = str(e.LastError);
  if (num(e.ChainAttempt) > 0) batch.chainAttempt = num(e.ChainAttempt);
  if (num(e.InProgress) > 0) batch.inProgress = num(e.InProgress);
  if (e.etag) batch.etag = e.etag;
  return batch;
}

function requireEtag(record: { etag?: string }, what: string): string {
  if (!record.etag) throw new TypeError(`${what} has no etag: read it before updating`);
  return record.etag;
}

/** Continuation tokens go out as base64url so they survive a query string untouched. */
function encodeToken(token: string | undefined): string | undefined {
  return token === undefined ? undefined : Buffer.from(token, 'utf8').toString('base64url');
}
function decodeToken(token: string | undefined): string | undefined {
  return token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
}

/**
 * Requests (RowKey `request`) and their batches (RowKey `batch-0001`) share the request's partition.
 * `requestsbyorg` (PartitionKey = orgId) indexes each request's immutable fields, so listing one
 * organisation's requests is a single-partition query rather than a table scan.
 */
export class TableRequestStore implements RequestStore {
  constructor(
    private readonly table: TableClient,
    private readonly byOrg?: TableClient,
    private readonly byTime?: TableRequestIndex,
  ) {}

  async create(record: RequestRecord): Promise<RequestRecord> {
    // The rows at once: listing reads each request by its id, skipping ids that do not exist, so an
    // index row written beside a failed create is harmless.
    const [created, indexed, timed] = await Promise.allSettled([
      this.table.createEntity(encodeRequest(record)),
      this.index(record),
      this.byTime?.record(record),
    ]);
    if (created.status === 'rejected') return mapStorageError(created.reason, `request ${record.id}`);
    if (indexed.status === 'rejected') throw indexed.reason;
    if (timed.status === 'rejected') throw timed.reason;
    return { ...record, ...(created.value.etag ? { etag: created.value.etag } : {}) };
  }

  /** Index writes under way, per request: each request's rows are written in order, off the hot path. */
  private readonly indexing = new Map<string, Promise<void>>();

  /**
   * After a request's write succeeded: its time-index row follows (status, tier, counters), in the
   * background so the caller's next step (its status event) is not held up, and in order per request.
   * Best effort: a row left behind is repaired by the next write or by a listing that shows it.
   */
  private reindex(record: RequestRecord): void {
    const byTime = this.byTime;
    if (!byTime) return;
    const previous = this.indexing.get(record.id) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(() => byTime.record(record))
      .catch(() => undefined)
      .finally(() => {
        if (this.indexing.get(record.id) === next) this.indexing.delete(record.id);
      });
    this.indexing.set(record.id, next);
  }

  /** Reads of the index see this process's own writes. */
  private async indexSettled(): Promise<void> {
    await Promise.all([...this.indexing.values()]);
  }

  async totals(): Promise<TotalsByTier> {
    if (!this.byTime) return {};
    await this.indexSettled();
    return this.byTime.totals();
  }

  private async index(record: RequestRecord): Promise<void> {
    await this.byOrg?.upsertEntity(
      {
        partitionKey: record.orgId,
        rowKey: record.id,
        Kind: record.kind,
        Tier: record.tier,
        CreatedAt: record.createdAt,
      },
      'Replace',
    );
  }

  async get(requestId: string): Promise<RequestRecord | null> {
    try {
      return decodeRequest(await this.table.getEntity(requestId, REQUEST_ROW));
    } catch (err: unknown) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async update(record: RequestRecord, options: { reindex?: boolean } = {}): Promise<RequestRecord> {
    try {
      const response = await this.table.updateEntity(encodeRequest(record), 'Replace', {
        etag: requireEtag(record, `request ${record.id}`),
      });
      this.reindex(record);
      // After the record: a failed index write leaves the old tier listed until the next re-route.
      if (options.reindex) await this.index(record);
      return { ...record, ...(response.etag ? { etag: response.etag } : {}) };
    } catch (err: unknown) {
      if (isNotFound(err)) throw new TriageError('not-found', `no request "${record.id}"`, { cause: err });
      return mapStorageError(err, `request ${record.id}`);
    }
  }

  async list(
    filter: ListRequestsFilter,
    limit: number,
    continuationToken?: string,
  ): Promise<Page<RequestRecord>> {
    if (filter.orgId && this.byOrg) return this.listForOrg(filter.orgId, filter, limit, continuationToken);
    if (this.byTime) return this.listNewest(this.byTime, filter, limit, continuationToken);
    // Across organisations: an operator's query, filtered server-side over the request rows.
    const clauses = [odataEquals('RowKey', REQUEST_ROW)];
    if (filter.orgId) clauses.push(odataEquals('OrgId', filter.orgId));
    if (filter.tier) clauses.push(odataEquals('Tier', filter.tier));
    if (filter.status) clauses.push(odataEquals('Status', filter.status));
    if (filter.kind) clauses.push(odataEquals('Kind', filter.kind));
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: odataAnd(...clauses) } })
      .byPage({
        maxPageSize: limit,
        ...(continuationToken ? { continuationToken: decodeToken(continuationToken) } : {}),
      });
    const first = await pages.next();
    if (first.done || !first.value) return { items: [] };
    const page = first.value;
    const token = encodeToken(page.continuationToken);
    return { items: page.map(decodeRequest), ...(token ? { continuationToken: token } : {}) };
  }

  /** One organisation: a single-partition index query, then point reads; the (mutable) status is checked on what was read. */
  private async listForOrg(
    orgId: string,
    filter: ListRequestsFilter,
    limit: number,
    continuationToken?: string,
  ): Promise<Page<RequestRecord>> {
    const clauses = [odataEquals('PartitionKey', orgId)];
    if (filter.tier) clauses.push(odataEquals('Tier', filter.tier));
    if (filter.kind) clauses.push(odataEquals('Kind', filter.kind));
    const pages = this.byOrg!.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odataAnd(...clauses) },
    }).byPage({
      maxPageSize: limit,
      ...(continuationToken ? { continuationToken: decodeToken(continuationToken) } : {}),
    });
    const first = await pages.next();
    if (first.done || !first.value) return { items: [] };
    const records = await Promise.all(first.value.map((row) => this.get(row.rowKey as string)));
    const items = records
      .filter((r): r is RequestRecord => r !== null && (!filter.status || r.status === filter.status))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const token = encodeToken(first.value.continuationToken);
    // With a status filter a page can be short (even empty) while more follow: callers follow the token.
    return { items, ...(token ? { continuationToken: token } : {}) };
  }

  /**
   * Across organisations, newest first, from the time index; each request is then read by id (its
   * progress is not in the index) and one whose status moved past the filter is dropped, its row repaired.
   */
  private async listNewest(
    byTime: TableRequestIndex,
    filter: ListRequestsFilter,
    limit: number,
    continuationToken?: string,
  ): Promise<Page<RequestRecord>> {
    await this.indexSettled();
    const page = await byTime.list(filter, limit, continuationToken);
    const records = await Promise.all(page.items.map((row) => this.get(row.id)));
    const items: RequestRecord[] = [];
    for (const [i, record] of records.entries()) {
      if (!record) continue;
      if (record.status !== page.items[i]!.status) this.reindex(record);
      if (!filter.status || record.status === filter.status) items.push(record);
    }
    return { items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  }

  async ensureBatches(batches: BatchRecord[]): Promise<void> {
    const byRequest = new Map<string, TransactionAction[]>();
    for (const b of batches) {
      // Merge with the static fields only: an existing batch keeps its status and counters.
      const action: TransactionAction = [
        'upsert',
        {
          partitionKey: b.requestId,
          rowKey: batchLabel(b.batchNumber),
          BatchNumber: b.batchNumber,
          Total: b.total,
          Manifest: b.manifest,
        },
        'Merge',
      ];
      const list = byRequest.get(b.requestId) ?? [];
      list.push(action);
      byRequest.set(b.requestId, list);
    }
    for (const [requestId, actions] of byRequest)
      await submitInChunks(this.table, actions, `batches of ${requestId}`);
  }

  async getBatch(requestId: string, batchNumber: number): Promise<BatchRecord | null> {
    try {
      return decodeBatch(await this.table.getEntity(requestId, batchLabel(batchNumber)));
    } catch (err: unknown) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async listBatches(requestId: string): Promise<BatchRecord[]> {
    const batches: BatchRecord[] = [];
    const filter = odataAnd(
      odataEquals('PartitionKey', requestId),
      `RowKey ge 'batch-' and RowKey lt 'batch.'`,
    );
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      batches.push(decodeBatch(e));
    }
    return batches.sort((a, b) => a.batchNumber - b.batchNumber);
  }

  async updateBatch(batch: BatchRecord): Promise<BatchRecord> {
    try {
      const response = await this.table.updateEntity(encodeBatch(batch), 'Replace', {
        etag: requireEtag(batch, `batch ${batch.batchNumber}`),
      });
      return { ...batch, ...(response.etag ? { etag: response.etag } : {}) };
    } catch (err: unknown) {
      return mapStorageError(err, `${batchLabel(batch.batchNumber)} of ${batch.requestId}`);
    }
  }

  async commitBatchAndRequest(batch: BatchRecord, request: RequestRecord): Promise<void> {
    if (batch.requestId !== request.id) throw new RangeError('a batch commits only with its own request');
    try {
      await this.table.submitTransaction([
        ['update', encodeBatch(batch), 'Replace', { etag: requireEtag(batch, 'batch') }],
        ['update', encodeRequest(request), 'Replace', { etag: requireEtag(request, 'request') }],
      ]);
    } catch (err: unknown) {
      mapStorageError(err, `${batchLabel(batch.batchNumber)} of ${request.id}`);
    }
    this.reindex(request);
  }
}

/** Items, PartitionKey = batch, written in entity-group transactions. */
export class TableItemStore implements ItemStore {
  constructor(private readonly table: TableClient) {}

  async list(requestId: string, batchNumber: number): Promise<ItemRecord[]> {
    const items: ItemRecord[] = [];
    const filter = odataEquals('PartitionKey', batchPartitionKey(requestId, batchNumber));
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const item: ItemRecord = {
        index: Number(e.rowKey),
        address: e.Address as string,
        status: e.Status as ItemStatus,
        attempts: num(e.Attempts),
        at: e.At as string,
      };
      if (str(e.Reason)) item.reason = str(e.Reason);
      if (str(e.Detail)) item.detail = str(e.Detail);
      if (str(e.Operation))
        item.operation = JSON.parse(str(e.Operation) as string) as ItemRecord['operation'];
      items.push(item);
    }
    return items;
  }

  async write(requestId: string, batchNumber: number, items: ItemRecord[]): Promise<void> {
    const partitionKey = batchPartitionKey(requestId, batchNumber);
    const actions: TransactionAction[] = items.map((i) => [
      'upsert',
      {
        partitionKey,
        rowKey: itemRowKey(i.index),
        Address: i.address,
        Status: i.status,
        Attempts: i.attempts,
        Reason: (i.reason ?? '').slice(0, 2000),
        Detail: (i.detail ?? '').slice(0, 2000),
        At: i.at,
        Operation: i.operation ? JSON.stringify(i.operation) : '',
      },
      'Replace',
    ]);
    await submitInChunks(this.table, actions, `items of ${partitionKey}`);
  }
}

/** Append-only history: PartitionKey = request, RowKey sorts by time. */
export class TableEventStore implements EventStore {
  private sequence = 0;
  constructor(private readonly table: TableClient) {}

  async append(event: Omit<RequestEvent, 'eventId' | 'published'>): Promise<RequestEvent> {
    // Time first so the partition reads in order; a per-process counter and a random tail keep keys unique.
    const eventId = `${String(Date.parse(event.at)).padStart(15, '0')}-${String(this.sequence++ % 1_000_000).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
    await this.table.createEntity({
      partitionKey: event.requestId,
      rowKey: eventId,
      At: event.at,
      Type: event.type,
      Status: event.status ?? '',
      Message: (event.message ?? '').slice(0, 2000),
      Notification: event.notification ?? '',
      RequestStatus: event.requestStatus ?? '',
      Position: event.position ?? -1,
      // '' = no ETA was part of the event; 'none' = the ETA is known to be null (no capacity expected).
      Eta: event.eta === undefined ? '' : (event.eta ?? 'none'),
      Published: false,
    });
    return { ...event, eventId, published: false };
  }

  async list(requestId: string): Promise<RequestEvent[]> {
    const events: RequestEvent[] = [];
    const filter = odataEquals('PartitionKey', requestId);
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const event: RequestEvent = {
        eventId: e.rowKey as string,
        requestId,
        at: e.At as string,
        type: e.Type as RequestEvent['type'],
        published: e.Published === true,
      };
      if (str(e.Status)) event.status = str(e.Status) as RequestStatus;
      if (str(e.Message)) event.message = str(e.Message);
      if (str(e.Notification)) event.notification = str(e.Notification) as NotificationType;
      if (str(e.RequestStatus)) event.requestStatus = str(e.RequestStatus) as RequestStatus;
      if (num(e.Position, -1) >= 0) event.position = num(e.Position);
      if (str(e.Eta)) event.eta = e.Eta === 'none' ? null : str(e.Eta);
      events.push(event);
    }
    return events;
  }

  async markPublished(requestId: string, eventId: string): Promise<void> {
    await this.table.updateEntity({ partitionKey: requestId, rowKey: eventId, Published: true }, 'Merge');
  }
}

/** Idempotency keys per organisation; the key is hashed because callers choose its characters. */
export class TableIdempotencyStore implements IdempotencyStore {
  constructor(private readonly table: TableClient) {}

  async claim(orgId: string, key: string, bodyHash: string, requestId: string): Promise<IdempotencyClaim> {
    const rowKey = createHash('sha256').update(key).digest('hex');
    try {
      await this.table.createEntity({
        partitionKey: orgId,
        rowKey,
        BodyHash: bodyHash,
        RequestId: requestId,
      });
      return { claimed: true };
    } catch (err: unknown) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
    const existing = await this.table.getEntity<{ BodyHash: string; RequestId: string }>(orgId, rowKey);
    return { claimed: false, bodyHash: existing.BodyHash, requestId: existing.RequestId };
  }
}

/** Partitions of the activity index: enough to spread its writes, few enough to read all of them cheaply. */
const ACTIVITY_SHARDS = 8;

function activityShard(requestId: string): string {
  const digest = createHash('sha256').update(requestId).digest();
  return `shard-${(digest[0] ?? 0) % ACTIVITY_SHARDS}`;
}

/**
 * The activity index: PartitionKey `shard-N` (a hash of the request id), RowKey = request id. Listing the
 * idle ones reads each shard filtered on `ProgressAt`: the cost grows with the requests in flight only.
 */
export class TableActivityIndex implements ActivityIndex {
  constructor(private readonly table: TableClient) {}

  async touch(entry: ActivityEntry): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: activityShard(entry.requestId),
        rowKey: entry.requestId,
        Status: entry.status,
        ProgressAt: entry.progressAt,
      },
      'Replace',
    );
  }

  async remove(requestId: string): Promise<void> {
    try {
      await this.table.deleteEntity(activityShard(requestId), requestId);
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
    }
  }

  async listIdle(before: string, limit: number): Promise<ActivityEntry[]> {
    const found: ActivityEntry[] = [];
    for (let shard = 0; shard < ACTIVITY_SHARDS && found.length < limit; shard++) {
      const filter = odataAnd(
        odataEquals('PartitionKey', `shard-${shard}`),
        `ProgressAt lt ${odataLiteral(before)}`,
      );
      for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        found.push({
          requestId: e.rowKey as string,
          status: e.Status as RequestStatus,
          progressAt: e.ProgressAt as string,
        });
        if (found.length >= limit) break;
      }
    }
    return found;
  }
}

/**
 * The dead-letter log: one partition (refused messages are rare), RowKey = inverted time + a hash of the
 * message, so a listing reads newest first and recording the same message twice writes one row.
 */
export class TableDeadLetterLog implements DeadLetterLog {
  constructor(private readonly table: TableClient) {}

  async record(entry: DeadLetterEntry): Promise<void> {
    const inverted = String(8_640_000_000_000_000 - Date.parse(entry.at)).padStart(16, '0');
    const id = createHash('sha256')
      .update(`${entry.source}\u0000${entry.messageId}`)
      .digest('hex')
      .slice(0, 24);
    await this.table.upsertEntity(
      {
        partitionKey: 'deadletters',
        rowKey: `${inverted}-${id}`,
        MessageId: entry.messageId.slice(0, 500),
        At: entry.at,
        Source: entry.source,
        Reason: entry.reason.slice(0, 2000),
        RequestId: entry.requestId ?? '',
        Body: entry.body.slice(0, 2000),
      },
      'Replace',
    );
  }

  async list(limit: number): Promise<DeadLetterEntry[]> {
    const out: DeadLetterEntry[] = [];
    const filter = odataEquals('PartitionKey', 'deadletters');
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({
        messageId: e.MessageId as string,
        at: e.At as string,
        source: e.Source as string,
        reason: e.Reason as string,
        ...(str(e.RequestId) ? { requestId: str(e.RequestId) } : {}),
        body: (e.Body as string) ?? '',
      });
      if (out.length >= limit) break;
    }
    return out;
  }
}

export interface TableStores {
  deadLetters: TableDeadLetterLog;
  holds: TableHoldStore;
  mailboxClaims: TableMailboxClaimStore;
  activity: TableActivityIndex;
  requests: TableRequestStore;
  items: TableItemStore;
  events: TableEventStore;
  orgs: TableOrgStore;
  idempotency: TableIdempotencyStore;
  pools: TablePoolStore;
  programme: TableProgrammeStore;
  memberships: TableMembershipStore;
  audit: TableAuditStore;
  slots: TableSlotStore;
  clients: Record<keyof ReturnType<typeof tableNames>, TableClient>;
  ensureTables(): Promise<void>;
}

/** Builds every Table store from one client factory (connection string or identity). */
export function createTableStores(clientFor: (tableName: string) => TableClient, prefix = ''): TableStores {
  const names = tableNames(prefix);
  const clients = {
    requests: clientFor(names.requests),
    requestsByOrg: clientFor(names.requestsByOrg),
    requestsByTime: clientFor(names.requestsByTime),
    items: clientFor(names.items),
    events: clientFor(names.events),
    orgs: clientFor(names.orgs),
    idempotency: clientFor(names.idempotency),
    pools: clientFor(names.pools),
    programme: clientFor(names.programme),
    memberships: clientFor(names.memberships),
    membersByOrg: clientFor(names.membersByOrg),
    audit: clientFor(names.audit),
    activity: clientFor(names.activity),
    deadLetters: clientFor(names.deadLetters),
    holds: clientFor(names.holds),
    slots: clientFor(names.slots),
    mailboxClaims: clientFor(names.mailboxClaims),
  };
  return {
    requests: translated(
      new TableRequestStore(
        clients.requests,
        clients.requestsByOrg,
        new TableRequestIndex(clients.requestsByTime),
      ),
      names.requests,
    ),
    items: translated(new TableItemStore(clients.items), names.items),
    events: translated(new TableEventStore(clients.events), names.events),
    orgs: translated(new TableOrgStore(clients.orgs), names.orgs),
    idempotency: translated(new TableIdempotencyStore(clients.idempotency), names.idempotency),
    pools: translated(new TablePoolStore(clients.pools), names.pools),
    programme: translated(new TableProgrammeStore(clients.programme), names.programme),
    memberships: translated(
      new TableMembershipStore(clients.memberships, clients.membersByOrg),
      names.memberships,
    ),
    audit: translated(new TableAuditStore(clients.audit), names.audit),
    activity: translated(new TableActivityIndex(clients.activity), names.activity),
    deadLetters: translated(new TableDeadLetterLog(clients.deadLetters), names.deadLetters),
    holds: translated(new TableHoldStore(clients.holds), names.holds),
    slots: translated(new TableSlotStore(clients.slots), names.slots),
    mailboxClaims: translated(new TableMailboxClaimStore(clients.mailboxClaims), names.mailboxClaims),
    clients,
    ensureTables: async () => {
      await Promise.all(Object.values(clients).map(ensureTable));
    },
  };
}

/**
 * The store with every method's failure translated once (`mapStorageError`): an outage anywhere becomes
 * `dependency-unavailable` (HTTP 503, retried by the delivery protocol), never a raw SDK error (a 500).
 */
function translated<T extends object>(store: T, table: string): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') {
        return value;
      }
      return (...args: unknown[]) =>
        storageCall(`table ${table}`, () =>
          (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
        );
    },
  });
}
