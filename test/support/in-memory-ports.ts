import type { ArtifactStore, InventoryImportResult } from '../../shared/app/ports/artifact-store';
import type { AuditStore, Membership, MembershipStore, TokenVerifier } from '../../shared/app/ports/identity';
import type { ExecutionOutcome, ExecutionTask, Executor } from '../../shared/app/ports/executor';
import type { OutgoingWorkMessage, Publisher } from '../../shared/app/ports/publisher';
import type { MailboxClaimStore } from '../../shared/app/ports/mailbox-claims';
import type { MailboxClaim, SkippedMailbox } from '../../shared/domain/duplicate-work';
import type {
  ActivityEntry,
  ActivityIndex,
  DeadLetterEntry,
  DeadLetterLog,
  StoredReadiness,
  EventStore,
  IdempotencyClaim,
  IdempotencyStore,
  ItemStore,
  ListOrgsFilter,
  ListRequestsFilter,
  OrgStore,
  Page,
  RequestStore,
} from '../../shared/app/ports/stores';
import type { AppSettings } from '../../shared/app/context';
import { maxClaimChangesPerCommit, type PoolChanges, type PoolStore } from '../../shared/app/ports/pools';
import type { HoldStore } from '../../shared/app/ports/holds';
import type { Hold, HoldScope, ParkedWork, RunningWork } from '../../shared/domain/holds';
import type { PoolClaimRecord, PoolLedger } from '../../shared/domain/scheduling/pool-claims';
import type { ProgrammeClaimRecord } from '../../shared/domain/scheduling/programme-claims';
import type {
  DayRecord,
  ProgrammeState,
  ProgrammeStore,
  StoredPlan,
  WaveEntry,
} from '../../shared/app/ports/programme';
import type { CallerApp, TriageApp } from '../../shared/app/index';
import { auditPartition, type AuditEntry } from '../../shared/domain/identity/audit';
import { inlineInventoryName, type InventoryOwner } from '../../shared/domain/identity/inventory-ownership';
import { authOffPrincipal } from '../../shared/domain/identity/principal';
import { bindUseCases, createContext } from '../../shared/app/create-app';
import type { DeliveryContext } from '../../shared/app/effects/delivery';
import type { BatchRecord, ItemRecord, RequestEvent, RequestRecord } from '../../shared/domain/records';
import type { RequestNotification } from '../../shared/domain/notifications';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  InventoryValidator,
  mailboxEntrySchema,
  skipAndTake,
  type InventoryRowProblem,
  type MailboxEntry,
} from '../../shared/domain/inventory';
import type { Org, OrgAuditEntry } from '../../shared/domain/orgs';
import { addToTotals, type TotalsByTier } from '../../shared/domain/request-totals';
import { TriageError } from '../../shared/domain/errors';
import { topology } from '../../shared/topology';
import { subscriptionSettings, tierSubscription } from '../../shared/domain/topology';
import { MemorySlotStore } from './in-memory-slot-store';

const clone = <T>(v: T): T => structuredClone(v);

/** Plain-object fakes of the ports with the same ETag and conflict semantics as the Table adapters. */
export class MemoryRequestStore implements RequestStore {
  requests = new Map<string, RequestRecord>();
  batches = new Map<string, BatchRecord>();
  private version = 0;
  private tag(): string {
    return `W/"${++this.version}"`;
  }
  async create(record: RequestRecord): Promise<RequestRecord> {
    if (this.requests.has(record.id)) throw new TriageError('conflict', 'exists');
    const saved = { ...clone(record), etag: this.tag() };
    this.requests.set(record.id, saved);
    return clone(saved);
  }
  async get(id: string): Promise<RequestRecord | null> {
    const r = this.requests.get(id);
    // As the Table adapter decodes it: the flag is always present.
    return r ? { ...clone(r), deadLettered: r.deadLettered ?? false } : null;
  }
  async update(record: RequestRecord): Promise<RequestRecord> {
    const current = this.requests.get(record.id);
    if (!current) throw new TriageError('not-found', 'missing');
    if (current.etag !== record.etag) throw new TriageError('concurrency', 'stale');
    const saved = { ...clone(record), etag: this.tag() };
    this.requests.set(record.id, saved);
    return clone(saved);
  }
  async list(filter: ListRequestsFilter, limit: number, token?: string): Promise<Page<RequestRecord>> {
    const all = [...this.requests.values()].filter(
      (r) =>
        (!filter.orgId || r.orgId === filter.orgId) &&
        (!filter.tier || r.tier === filter.tier) &&
        (!filter.status || r.status === filter.status) &&
        (!filter.kind || r.kind === filter.kind),
    );
    // Newest first, as the Table adapter's time index lists them.
    all.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? -1 : 1));
    const start = token ? Number(token) : 0;
    const items = all.slice(start, start + limit).map(clone);
    return { items, ...(start + limit < all.length ? { continuationToken: String(start + limit) } : {}) };
  }
  async totals(): Promise<TotalsByTier> {
    const totals: TotalsByTier = {};
    for (const r of this.requests.values()) addToTotals(totals, r);
    return totals;
  }
  private key(requestId: string, n: number): string {
    return `${requestId}/${n}`;
  }
  async ensureBatches(batches: BatchRecord[]): Promise<void> {
    for (const b of batches) {
      if (!this.batches.has(this.key(b.requestId, b.batchNumber))) {
        this.batches.set(this.key(b.requestId, b.batchNumber), { ...clone(b), etag: this.tag() });
      }
    }
  }
  async getBatch(requestId: string, n: number): Promise<BatchRecord | null> {
    const b = this.batches.get(this.key(requestId, n));
    return b ? { ...clone(b), deadLettered: b.deadLettered ?? false } : null;
  }
  async listBatches(requestId: string): Promise<BatchRecord[]> {
    return [...this.batches.values()]
      .filter((b) => b.requestId === requestId)
      .sort((a, b) => a.batchNumber - b.batchNumber)
      .map((b) => ({ ...clone(b), deadLettered: b.deadLettered ?? false }));
  }
  async updateBatch(batch: BatchRecord): Promise<BatchRecord> {
    const current = this.batches.get(this.key(batch.requestId, batch.batchNumber));
    if (!current || current.etag !== batch.etag) throw new TriageError('concurrency', 'stale');
    const saved = { ...clone(batch), etag: this.tag() };
    this.batches.set(this.key(batch.requestId, batch.batchNumber), saved);
    return clone(saved);
  }
  async commitBatchAndRequest(batch: BatchRecord, request: RequestRecord): Promise<void> {
    const b = this.batches.get(this.key(batch.requestId, batch.batchNumber));
    const r = this.requests.get(request.id);
    if (!b || !r || b.etag !== batch.etag || r.etag !== request.etag)
      throw new TriageError('concurrency', 'stale');
    this.batches.set(this.key(batch.requestId, batch.batchNumber), { ...clone(batch), etag: this.tag() });
    this.requests.set(request.id, { ...clone(request), etag: this.tag() });
  }
}

export class MemoryItemStore implements ItemStore {
  items = new Map<string, Map<number, ItemRecord>>();
  transactions = 0;
  /** When set, every write is rejected, like a Table outage. */
  failWrites = false;
  async list(requestId: string, n: number): Promise<ItemRecord[]> {
    return [...(this.items.get(`${requestId}/${n}`)?.values() ?? [])].map(clone);
  }
  async write(requestId: string, n: number, items: ItemRecord[]): Promise<void> {
    if (this.failWrites) throw new Error('items table unavailable');
    const partition = this.items.get(`${requestId}/${n}`) ?? new Map<number, ItemRecord>();
    for (let i = 0; i < items.length; i += 100) this.transactions++;
    for (const item of items) partition.set(item.index, clone(item));
    this.items.set(`${requestId}/${n}`, partition);
  }
}

export class MemoryEventStore implements EventStore {
  events: RequestEvent[] = [];
  async append(event: Omit<RequestEvent, 'eventId' | 'published'>): Promise<RequestEvent> {
    const stored = { ...event, eventId: String(this.events.length).padStart(8, '0'), published: false };
    this.events.push(stored);
    return clone(stored);
  }
  async list(requestId: string): Promise<RequestEvent[]> {
    return this.events.filter((e) => e.requestId === requestId).map(clone);
  }
  async markPublished(_requestId: string, eventId: string): Promise<void> {
    const e = this.events.find((x) => x.eventId === eventId);
    if (e) e.published = true;
  }
}

export class MemoryOrgStore implements OrgStore {
  orgs = new Map<string, Org>();
  audit: OrgAuditEntry[] = [];
  async get(orgId: string): Promise<Org | null> {
    return clone(this.orgs.get(orgId) ?? null);
  }
  async upsert(org: Omit<Org, 'registered'>, audit: OrgAuditEntry): Promise<Org> {
    const saved = { ...clone(org), registered: true };
    this.orgs.set(org.orgId, saved);
    this.audit.push(clone(audit));
    return clone(saved);
  }
  async listAudit(orgId: string): Promise<OrgAuditEntry[]> {
    return this.audit.filter((a) => a.orgId === orgId).map(clone);
  }
  async list(filter: ListOrgsFilter, limit: number, token?: string): Promise<Page<Org>> {
    const all = [...this.orgs.values()]
      .filter((o) => !filter.tier || o.tier === filter.tier)
      .sort((a, b) => (a.orgId < b.orgId ? -1 : 1));
    const start = token ? Number(token) : 0;
    const items = all.slice(start, start + limit).map(clone);
    return { items, ...(start + limit < all.length ? { continuationToken: String(start + limit) } : {}) };
  }
  readiness = new Map<string, StoredReadiness>();
  async getReadiness(orgId: string): Promise<StoredReadiness | null> {
    return clone(this.readiness.get(orgId) ?? null);
  }
  async putReadiness(orgId: string, readiness: StoredReadiness): Promise<void> {
    this.readiness.set(orgId, clone(readiness));
  }
}

export class MemoryActivityIndex implements ActivityIndex {
  entries = new Map<string, ActivityEntry>();
  /** When set, every call is rejected, like a Table outage. */
  fail = false;
  async touch(entry: ActivityEntry): Promise<void> {
    if (this.fail) throw new Error('activity table unavailable');
    this.entries.set(entry.requestId, { ...entry });
  }
  async remove(requestId: string): Promise<void> {
    if (this.fail) throw new Error('activity table unavailable');
    this.entries.delete(requestId);
  }
  async listIdle(before: string, limit: number): Promise<ActivityEntry[]> {
    if (this.fail) throw new Error('activity table unavailable');
    return [...this.entries.values()].filter((e) => e.progressAt < before).slice(0, limit);
  }
}

/** Mailbox claims with a version per claim standing in for the ETag. */
export class MemoryMailboxClaimStore implements MailboxClaimStore {
  claims = new Map<string, { requestId: string; version: number }>();
  private version = 0;
  async claimFree(orgId: string, requestId: string, keys: readonly string[]): Promise<MailboxClaim[]> {
    const existing: MailboxClaim[] = [];
    for (const key of keys) {
      const held = this.claims.get(`${orgId}/${key}`);
      if (held) existing.push({ key, requestId: held.requestId, etag: String(held.version) });
      else this.claims.set(`${orgId}/${key}`, { requestId, version: ++this.version });
    }
    return existing;
  }
  async takeOver(orgId: string, requestId: string, claims: readonly MailboxClaim[]): Promise<string[]> {
    const changed: string[] = [];
    for (const claim of claims) {
      const held = this.claims.get(`${orgId}/${claim.key}`);
      if (!held || String(held.version) !== claim.etag) changed.push(claim.key);
      else this.claims.set(`${orgId}/${claim.key}`, { requestId, version: ++this.version });
    }
    return changed;
  }
}

export class MemoryDeadLetterLog implements DeadLetterLog {
  entries = new Map<string, DeadLetterEntry>();
  async record(entry: DeadLetterEntry): Promise<void> {
    this.entries.set(`${entry.source}/${entry.messageId}`, clone(entry));
  }
  async list(limit: number): Promise<DeadLetterEntry[]> {
    return [...this.entries.values()]
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, limit)
      .map(clone);
  }
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  keys = new Map<string, { bodyHash: string; requestId: string }>();
  async claim(orgId: string, key: string, bodyHash: string, requestId: string): Promise<IdempotencyClaim> {
    const existing = this.keys.get(`${orgId}/${key}`);
    if (existing) return { claimed: false, ...existing };
    this.keys.set(`${orgId}/${key}`, { bodyHash, requestId });
    return { claimed: true };
  }
}

/**
 * Blob artifacts in memory, with the adapter's names and errors (the port contract suite runs the same
 * scenarios over both): inventories `{orgId}/….ndjson` and `_requests/{id}.ndjson`, each with its owner, manifests
 * `{requestId}/batch-0001.ndjson`; `not-found`, `validation` and `payload-too-large` TriageErrors.
 */
export class MemoryArtifactStore implements ArtifactStore {
  inventories = new Map<string, MailboxEntry[]>();
  /** The blobs' owner metadata, as the adapter writes it. */
  owners = new Map<string, InventoryOwner & { uploadedBy?: string }>();
  manifests = new Map<string, MailboxEntry[]>();
  private uploads = 0;
  async importInventoryCsv(
    orgId: string,
    csv: AsyncIterable<Uint8Array>,
    options: { maxBytes?: number; uploadedBy?: string } = {},
  ): Promise<InventoryImportResult> {
    const maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of csv) {
      size += chunk.byteLength;
      if (size > maxBytes)
        throw new TriageError('payload-too-large', `the inventory exceeds the limit of ${maxBytes} bytes`);
      chunks.push(Buffer.from(chunk));
    }
    const records = parseCsv(Buffer.concat(chunks), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    const validator = new InventoryValidator();
    const badRows: InventoryRowProblem[] = [];
    const entries: MailboxEntry[] = [];
    for (const { record, info } of records) {
      if (!validator.hasHeader) {
        const problem = validator.acceptHeader(record, info.lines);
        if (problem) return { blobName: null, rowCount: 0, badRows: [problem] };
        continue;
      }
      const result = validator.acceptRow(record, info.lines);
      if (result.ok) entries.push(result.entry);
      else badRows.push(...result.problems);
    }
    if (!validator.hasHeader) {
      badRows.push({
        line: 1,
        field: 'EmailAddress',
        message: 'the file is empty (expected an EmailAddress header)',
      });
    } else if (validator.rowCount === 0 && badRows.length === 0) {
      badRows.push({ line: 2, message: 'the inventory has a header but no mailbox rows' });
    }
    if (badRows.length > 0) {
      const rows = new Set(badRows.map((row) => row.line)).size;
      return badRows.length > 100
        ? {
            blobName: null,
            rowCount: validator.rowCount,
            badRows: badRows.slice(0, 100),
            badRowCount: rows,
            problemCount: badRows.length,
          }
        : { blobName: null, rowCount: validator.rowCount, badRows };
    }
    const name = `${orgId}/upload-${String(++this.uploads).padStart(6, '0')}.ndjson`;
    this.inventories.set(name, entries);
    this.owners.set(name, {
      orgId,
      source: 'csv-import',
      ...(options.uploadedBy ? { uploadedBy: options.uploadedBy } : {}),
    });
    return { blobName: name, rowCount: validator.rowCount, badRows: [] };
  }
  async writeInventory(orgId: string, requestId: string, mailboxes: MailboxEntry[]): Promise<string> {
    const name = inlineInventoryName(requestId);
    this.inventories.set(name, clone(mailboxes));
    this.owners.set(name, { orgId, requestId, source: 'request' });
    return name;
  }
  async inventoryOwner(name: string): Promise<InventoryOwner | null> {
    if (!this.inventories.has(name)) return null;
    const { uploadedBy: _uploadedBy, ...owner } = this.owners.get(name) ?? {};
    return owner;
  }
  async *readInventory(name: string): AsyncIterable<MailboxEntry> {
    if (!/\.(ndjson|csv)$/.test(name) || name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new TriageError('validation', `"${name}" is not an inventory name`, {
        fields: [{ field: 'inventory', message: 'path segments ending in .ndjson or .csv' }],
      });
    }
    const entries = this.inventories.get(name);
    if (!entries) throw new TriageError('not-found', `artifact ${name} does not exist`);
    // Each stored entry is checked as the adapter checks each NDJSON line: a corrupt one is `validation`.
    for (const [index, m] of entries.entries()) {
      const parsed = mailboxEntrySchema.safeParse(m);
      if (!parsed.success) {
        const message = parsed.error.issues.map((issue) => issue.message).join('; ');
        throw new TriageError('validation', `inventory ${name} is invalid: line ${index + 1}: ${message}`, {
          fields: [{ field: `line ${index + 1}`, message }],
        });
      }
      yield clone(parsed.data);
    }
  }
  async readInventoryChunk(
    name: string,
    cursor: string | undefined,
    maxEntries: number,
  ): Promise<{ entries: MailboxEntry[]; next?: string }> {
    return skipAndTake(this.readInventory(name), cursor === undefined ? 0 : Number(cursor), maxEntries);
  }
  async writeBatchManifest(
    requestId: string,
    n: number,
    mailboxes: MailboxEntry[],
  ): Promise<{ ndjsonBlob: string; csvBlob: string }> {
    const base = `${requestId}/batch-${String(n).padStart(4, '0')}`;
    this.manifests.set(`${base}.ndjson`, clone(mailboxes));
    return { ndjsonBlob: `${base}.ndjson`, csvBlob: `${base}.csv` };
  }
  async readBatchManifest(requestId: string, n: number): Promise<MailboxEntry[]> {
    const name = `${requestId}/batch-${String(n).padStart(4, '0')}.ndjson`;
    const entries = this.manifests.get(name);
    if (!entries) throw new TriageError('not-found', `artifact ${name} does not exist`);
    return clone(entries);
  }
  reports = new Map<string, string>();
  async writeReport(requestId: string, lines: AsyncIterable<string>): Promise<string> {
    let text = '';
    for await (const line of lines) text += line;
    this.reports.set(`${requestId}.csv`, text);
    return `${requestId}.csv`;
  }
  async readReport(requestId: string): Promise<AsyncIterable<Uint8Array> | null> {
    const text = this.reports.get(`${requestId}.csv`);
    if (text === undefined) return null;
    return (async function* () {
      yield Buffer.from(text, 'utf8');
    })();
  }
  duplicates = new Map<string, SkippedMailbox[]>();
  async writeDuplicates(requestId: string, fromBatch: number, skipped: readonly SkippedMailbox[]) {
    const name = `${requestId}/duplicates-${String(fromBatch + 1).padStart(7, '0')}.ndjson`;
    this.duplicates.set(name, clone([...skipped]));
    return name;
  }
  async *readDuplicates(requestId: string): AsyncIterable<SkippedMailbox> {
    const names = [...this.duplicates.keys()].filter((n) => n.startsWith(`${requestId}/duplicates-`)).sort();
    for (const name of names) yield* clone(this.duplicates.get(name) ?? []);
  }
  async ensureContainers(): Promise<void> {}
}

export class MemoryPublisher implements Publisher {
  queue: OutgoingWorkMessage[] = [];
  /** Messages scheduled for later (back-off successors), moved to `queue` when the test clock reaches them. */
  scheduled: OutgoingWorkMessage[] = [];
  sent: OutgoingWorkMessage[] = [];
  notifications: RequestNotification[] = [];
  seenIds = new Set<string>();
  fail = false;
  /** When set, a publish containing a message it matches is rejected as a whole. */
  failWhen: ((m: OutgoingWorkMessage) => boolean) | undefined;
  constructor(private readonly clock: () => Date = () => new Date()) {}
  async publishWork(messages: OutgoingWorkMessage[]): Promise<void> {
    if (this.fail) throw new Error('broker down');
    const failWhen = this.failWhen;
    if (failWhen && messages.some((m) => failWhen(m))) throw new Error('broker refused the batch messages');
    for (const m of messages) {
      this.sent.push(clone(m));
      // Duplicate detection, like the topics' requiresDuplicateDetection.
      if (this.seenIds.has(m.messageId)) continue;
      this.seenIds.add(m.messageId);
      if (m.scheduledFor && m.scheduledFor.getTime() > this.clock().getTime()) this.scheduled.push(clone(m));
      else this.queue.push(clone(m));
    }
  }
  /** Moves the scheduled messages that are due to the queue, earliest first. */
  release(): void {
    const now = this.clock().getTime();
    const due = this.scheduled.filter((m) => (m.scheduledFor?.getTime() ?? 0) <= now);
    this.scheduled = this.scheduled.filter((m) => !due.includes(m));
    due.sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0));
    this.queue.push(...due);
  }
  /** When the next scheduled message is due, if any. */
  nextDue(): number | undefined {
    const times = this.scheduled.map((m) => m.scheduledFor?.getTime() ?? 0);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
  async publishNotification(n: RequestNotification): Promise<void> {
    this.notifications.push(clone(n));
  }
}

/**
 * Deterministic executor: `plan(task, calls)` decides each outcome; counts successful calls per item (an
 * `in-progress` answer is not one). With `pollPlan` it also answers status reads of long-running operations
 * (`polls` counts them per item; a success there counts as the item's success).
 */
export class ScriptedExecutor implements Executor {
  readonly name = 'scripted';
  calls = new Map<string, number>();
  polls = new Map<string, number>();
  successes = new Map<string, number>();
  readonly poll?: (task: ExecutionTask, operationUrl: string) => Promise<ExecutionOutcome>;
  constructor(
    private readonly plan: (task: ExecutionTask, call: number) => ExecutionOutcome = () => ({ ok: true }),
    pollPlan?: (task: ExecutionTask, operationUrl: string, poll: number) => ExecutionOutcome,
  ) {
    if (pollPlan) {
      this.poll = async (task, operationUrl) => {
        const poll = (this.polls.get(task.idempotencyKey) ?? 0) + 1;
        this.polls.set(task.idempotencyKey, poll);
        return this.count(task, pollPlan(task, operationUrl, poll));
      };
    }
  }
  async execute(task: ExecutionTask): Promise<ExecutionOutcome> {
    const call = (this.calls.get(task.idempotencyKey) ?? 0) + 1;
    this.calls.set(task.idempotencyKey, call);
    return this.count(task, this.plan(task, call));
  }
  private count(task: ExecutionTask, outcome: ExecutionOutcome): ExecutionOutcome {
    if (outcome.ok === true)
      this.successes.set(task.idempotencyKey, (this.successes.get(task.idempotencyKey) ?? 0) + 1);
    return outcome;
  }
}

/** Pools with the Table adapter's semantics: one ETag on the ledger serialises decisions; commits are atomic. */
export class MemoryPoolStore implements PoolStore {
  ledgers = new Map<string, PoolLedger>();
  claims = new Map<string, Map<string, PoolClaimRecord>>();
  resources = new Map<string, string>();
  private version = 0;
  private tag(): string {
    return `W/"p${++this.version}"`;
  }
  async findByResource(resourceType: string, region: string): Promise<string | null> {
    return this.resources.get(`${resourceType}@${region}`) ?? null;
  }
  async getLedger(poolId: string): Promise<PoolLedger | null> {
    return clone(this.ledgers.get(poolId) ?? null);
  }
  async listLedgers(): Promise<PoolLedger[]> {
    return [...this.ledgers.values()].sort((a, b) => (a.pool.poolId < b.pool.poolId ? -1 : 1)).map(clone);
  }
  async create(ledger: PoolLedger): Promise<PoolLedger> {
    const resource = `${ledger.pool.resourceType}@${ledger.pool.region}`;
    const owner = this.resources.get(resource);
    if (owner !== undefined && owner !== ledger.pool.poolId)
      throw new TriageError('conflict', `${resource} already has a pool`);
    if (this.ledgers.has(ledger.pool.poolId))
      throw new TriageError('conflict', `pool ${ledger.pool.poolId} already exists`);
    this.resources.set(resource, ledger.pool.poolId);
    const saved = { ...clone(ledger), etag: this.tag() };
    this.ledgers.set(ledger.pool.poolId, saved);
    this.claims.set(ledger.pool.poolId, new Map());
    return clone(saved);
  }
  async listClaims(poolId: string): Promise<PoolClaimRecord[]> {
    return [...(this.claims.get(poolId)?.values() ?? [])].map(clone);
  }
  async getClaim(poolId: string, requestId: string): Promise<PoolClaimRecord | null> {
    return clone(this.claims.get(poolId)?.get(requestId) ?? null);
  }
  async commit(ledger: PoolLedger, changes: PoolChanges): Promise<PoolLedger> {
    const put = changes.put ?? [];
    const remove = changes.remove ?? [];
    if (put.length + remove.length > maxClaimChangesPerCommit)
      throw new RangeError('too many changes for one commit');
    const current = this.ledgers.get(ledger.pool.poolId);
    if (!current || current.etag !== ledger.etag) throw new TriageError('concurrency', 'stale ledger');
    const claims = this.claims.get(ledger.pool.poolId)!;
    for (const c of put) claims.set(c.requestId, { ...clone(c), etag: this.tag() });
    for (const id of remove) claims.delete(id);
    const saved = { ...clone(ledger), etag: this.tag() };
    this.ledgers.set(ledger.pool.poolId, saved);
    return clone(saved);
  }
  async writeForecast(poolId: string, rows: PoolClaimRecord[]): Promise<string[]> {
    const claims = this.claims.get(poolId);
    const stale: string[] = [];
    for (const row of rows) {
      const current = claims?.get(row.requestId);
      if (!current || (row.etag !== undefined && current.etag !== row.etag)) {
        stale.push(row.requestId);
        continue;
      }
      const {
        position,
        aheadByTier,
        etaMs,
        etaComputedAtMs,
        reason,
        notifiedDeferral,
        notifiedEtaMs,
        promotions,
      } = row;
      claims!.set(row.requestId, {
        ...current,
        ...clone({
          position,
          aheadByTier,
          etaMs,
          etaComputedAtMs,
          reason,
          notifiedDeferral,
          notifiedEtaMs,
          promotions,
        }),
        etag: this.tag(),
      });
    }
    return stale;
  }
}

/** The programme with the Table adapter's semantics (ETag-checked state and days; claims keyed by organisation). */
export class MemoryProgrammeStore implements ProgrammeStore {
  state: ProgrammeState | null = null;
  claims = new Map<string, ProgrammeClaimRecord>();
  waves = new Map<string, Map<string, WaveEntry>>();
  days = new Map<string, DayRecord>();
  plan: StoredPlan | null = null;
  private version = 0;
  private tag(): string {
    return `W/"g${++this.version}"`;
  }
  async getState(): Promise<ProgrammeState | null> {
    return clone(this.state);
  }
  async putState(state: ProgrammeState): Promise<ProgrammeState> {
    if (state.etag === undefined ? this.state !== null : this.state?.etag !== state.etag) {
      throw new TriageError(state.etag ? 'concurrency' : 'conflict', 'the programme changed');
    }
    this.state = { ...clone(state), etag: this.tag() };
    return clone(this.state);
  }
  async listClaims(): Promise<ProgrammeClaimRecord[]> {
    return [...this.claims.values()]
      .sort((a, b) => (`${a.orgId}|${a.requestId}` < `${b.orgId}|${b.requestId}` ? -1 : 1))
      .map(clone);
  }
  async listOrgClaims(orgId: string): Promise<ProgrammeClaimRecord[]> {
    return (await this.listClaims()).filter((c) => c.orgId === orgId);
  }
  async getClaim(orgId: string, requestId: string): Promise<ProgrammeClaimRecord | null> {
    const c = this.claims.get(requestId);
    return c && c.orgId === orgId ? clone(c) : null;
  }
  async addClaim(claim: ProgrammeClaimRecord): Promise<ProgrammeClaimRecord> {
    const existing = this.claims.get(claim.requestId);
    if (existing) return clone(existing);
    const saved = { ...clone(claim), etag: this.tag() };
    this.claims.set(claim.requestId, saved);
    return clone(saved);
  }
  async updateClaims(claims: ProgrammeClaimRecord[]): Promise<string[]> {
    const stale: string[] = [];
    for (const c of claims) {
      const current = this.claims.get(c.requestId);
      if (c.etag !== undefined && current?.etag !== c.etag) {
        stale.push(c.requestId);
        continue;
      }
      this.claims.set(c.requestId, { ...clone(c), etag: this.tag() });
    }
    return stale;
  }
  async listWave(date: string): Promise<WaveEntry[]> {
    return [...(this.waves.get(date)?.values() ?? [])].map(clone);
  }
  async putWaveEntry(entry: WaveEntry): Promise<void> {
    const wave = this.waves.get(entry.date) ?? new Map<string, WaveEntry>();
    wave.set(entry.requestId, clone(entry));
    this.waves.set(entry.date, wave);
  }
  async getDay(date: string): Promise<DayRecord | null> {
    return clone(this.days.get(date) ?? null);
  }
  async listDays(): Promise<DayRecord[]> {
    return [...this.days.values()].sort((a, b) => (a.date < b.date ? -1 : 1)).map(clone);
  }
  async putDay(day: DayRecord): Promise<DayRecord> {
    const current = this.days.get(day.date);
    if (day.etag === undefined ? current !== undefined : current?.etag !== day.etag) {
      throw new TriageError(day.etag ? 'concurrency' : 'conflict', `day ${day.date} changed`);
    }
    const saved = { ...clone(day), etag: this.tag() };
    this.days.set(day.date, saved);
    return clone(saved);
  }
  async savePlan(plan: StoredPlan): Promise<void> {
    this.plan = clone(plan);
  }
  async loadPlan(): Promise<StoredPlan | null> {
    return clone(this.plan);
  }
}

/** Memberships with the adapter's two views: by principal (the grant) and by organisation (the index). */
export class MemoryMembershipStore implements MembershipStore {
  rows = new Map<string, Membership>();
  private key(orgId: string, principalId: string): string {
    return `${orgId}\u0000${principalId}`;
  }
  async orgsOf(principalId: string): Promise<string[]> {
    return [...this.rows.values()]
      .filter((m) => m.principalId === principalId)
      .map((m) => m.orgId)
      .sort();
  }
  async put(membership: Membership): Promise<Membership> {
    this.rows.set(this.key(membership.orgId, membership.principalId), clone(membership));
    return clone(membership);
  }
  async delete(orgId: string, principalId: string): Promise<boolean> {
    return this.rows.delete(this.key(orgId, principalId));
  }
  async listMembers(orgId: string): Promise<Membership[]> {
    return [...this.rows.values()]
      .filter((m) => m.orgId === orgId)
      .sort((a, b) => (a.principalId < b.principalId ? -1 : 1))
      .map(clone);
  }
}

/** The audit log in memory, partitioned and ordered like the Table adapter. */
export class MemoryAuditStore implements AuditStore {
  entries: AuditEntry[] = [];
  async append(entry: Omit<AuditEntry, 'auditId'>): Promise<AuditEntry> {
    const saved = { ...clone(entry), auditId: String(this.entries.length).padStart(12, '0') };
    this.entries.push(saved);
    return clone(saved);
  }
  async list(partition: string, limit: number, token?: string): Promise<Page<AuditEntry>> {
    const all = this.entries.filter((e) => auditPartition(e.orgId) === partition);
    const start = token ? Number(token) : 0;
    const items = all.slice(start, start + limit).map(clone);
    return { items, ...(start + limit < all.length ? { continuationToken: String(start + limit) } : {}) };
  }
}

/** Holds, parked work and the running registry in memory, with the adapter's semantics. */
export class MemoryHoldStore implements HoldStore {
  holds = new Map<string, Hold>();
  parked = new Map<string, ParkedWork>();
  running = new Map<string, RunningWork>();
  async listHolds(): Promise<Hold[]> {
    return [...this.holds.values()].map(clone);
  }
  async getHold(scope: HoldScope, target: string): Promise<Hold | null> {
    return clone(this.holds.get(`${scope}-${target}`) ?? null);
  }
  async putHold(hold: Hold): Promise<Hold> {
    this.holds.set(`${hold.scope}-${hold.target}`, clone(hold));
    return clone(hold);
  }
  async removeHold(scope: HoldScope, target: string): Promise<boolean> {
    return this.holds.delete(`${scope}-${target}`);
  }
  async park(work: ParkedWork): Promise<void> {
    this.parked.set(work.key, clone(work));
  }
  async listParked(): Promise<ParkedWork[]> {
    return [...this.parked.values()].map(clone);
  }
  async unpark(key: string): Promise<boolean> {
    return this.parked.delete(key);
  }
  async markRunning(work: RunningWork): Promise<void> {
    this.running.set(`${work.tier}\u0000${work.key}`, clone(work));
  }
  async clearRunning(work: Pick<RunningWork, 'key' | 'tier'>): Promise<void> {
    this.running.delete(`${work.tier}\u0000${work.key}`);
  }
  async listRunning(): Promise<RunningWork[]> {
    return [...this.running.values()].map(clone);
  }
}

/** A verifier for apps under test that take no bearer tokens (the real one is tested with the local issuer). */
export const refusingTokenVerifier: TokenVerifier = {
  verify: () => Promise.reject(new TriageError('unauthenticated', 'no token verifier in this test')),
};

/** Fresh in-memory stores and artifacts (the ports the contract suite checks against the adapters). */
export function createMemoryStores() {
  return {
    requests: new MemoryRequestStore(),
    items: new MemoryItemStore(),
    events: new MemoryEventStore(),
    orgs: new MemoryOrgStore(),
    idempotency: new MemoryIdempotencyStore(),
    memberships: new MemoryMembershipStore(),
    audit: new MemoryAuditStore(),
    activity: new MemoryActivityIndex(),
    deadLetters: new MemoryDeadLetterLog(),
    holds: new MemoryHoldStore(),
    mailboxClaims: new MemoryMailboxClaimStore(),
    artifacts: new MemoryArtifactStore(),
    pools: new MemoryPoolStore(),
    slots: new MemorySlotStore(),
    programme: new MemoryProgrammeStore(),
  };
}

/** Settings of the test app: small batches, and back-off in seconds with a 10-minute total. */
export const testSettings: AppSettings = {
  batchSize: 10,
  itemConcurrency: 4,
  planChunkBatches: 3,
  retry: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxTotalMs: 10 * 60_000 },
  staleAfterMs: 15 * 60_000,
  auth: { mode: 'token', orgsClaim: 'triage_orgs' },
};

/** A clock that runs with real time plus an offset the test moves forward (scheduled messages, staleness). */
export class TestClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  /** Moves the clock to `at` if that is later. */
  advanceTo(at: number): void {
    this.offsetMs += Math.max(0, at - this.now().getTime());
  }
}

/**
 * The app over in-memory ports. `app` is the whole surface plus, for tests that are not about identity,
 * the HTTP use-cases bound to the open-mode principal (every role, every organisation: what
 * `TRIAGE_AUTH_MODE=off` gives). Tests about identity call `app.as(principal)` or `app.authenticate`.
 */
export function createTestApp(
  options: { executor?: Executor; settings?: Partial<AppSettings>; tokens?: TokenVerifier } = {},
) {
  const clock = new TestClock();
  const ports = {
    ...createMemoryStores(),
    publisher: new MemoryPublisher(clock.now),
    executor: options.executor ?? new ScriptedExecutor(),
    tokens: options.tokens ?? refusingTokenVerifier,
  };
  let id = 0;
  const ctx = createContext({
    ...ports,
    topology,
    settings: { ...testSettings, ...options.settings },
    clock: clock.now,
    random: () => 0.5,
    newId: () => `req${String(++id).padStart(4, '0')}`,
  });
  const triage = bindUseCases(ctx);
  const app: TriageApp & CallerApp = { ...triage, ...triage.as(authOffPrincipal) };
  const processed: Array<{ functionName: string; tier: string; messageTier: string; kind: string }> = [];

  /** The delivery facts of the tier "Function" a message is routed to, as its subscription sets them. */
  function deliveryOf(
    message: OutgoingWorkMessage['message'],
    deliveryCount: number,
    messageId = 'test-message',
  ): DeliveryContext {
    const topic = message.kind === 'provision' ? 'provisioning' : 'migration';
    const prefix = topic === 'provisioning' ? 'provision' : 'migrate';
    const { maxDeliveryCount } = subscriptionSettings(
      topology,
      tierSubscription(topology, topic, message.tier),
    );
    return {
      functionName: `${prefix}-${message.tier}`,
      tier: message.tier,
      deliveryCount,
      maxDeliveryCount,
      messageId,
    };
  }

  /**
   * Delivers queued messages to the tier "Function" matching their tier, like the subscriptions do, through
   * the app's one delivery protocol (`handleDelivery`, as functions/tier-workers.ts does): a throw redelivers
   * (deliveryCount + 1) until maxDeliveryCount, then dead-letters. When only scheduled messages are left,
   * the clock jumps to the next one (back-off costs no real time in tests).
   */
  async function drain(
    optionsDrain: {
      redeliverCompletedOnce?: boolean;
      maxDeliveries?: number;
      /** Stop (nothing lost: the rest stays queued) once this many messages were handled. */
      steps?: number;
    } = {},
  ): Promise<{ deadLettered: OutgoingWorkMessage[]; deliveries: number }> {
    const deadLettered: OutgoingWorkMessage[] = [];
    const redelivered = new Set<string>();
    let deliveries = 0;
    let handled = 0;
    const budget = optionsDrain.maxDeliveries ?? 20_000;
    for (;;) {
      if (optionsDrain.steps !== undefined && handled >= optionsDrain.steps) break;
      ports.publisher.release();
      if (ports.publisher.queue.length === 0) {
        const due = ports.publisher.nextDue();
        if (due === undefined) break;
        clock.advanceTo(due);
        continue;
      }
      const next = ports.publisher.queue.shift()!;
      handled++;
      for (let deliveryCount = 1; ; deliveryCount++) {
        if (++deliveries > budget) throw new Error(`drain: more than ${budget} deliveries`);
        const delivery = deliveryOf(next.message, deliveryCount, next.messageId);
        try {
          await app.handleDelivery(clone(next.message), delivery);
          processed.push({
            functionName: delivery.functionName,
            tier: delivery.tier,
            messageTier: next.message.tier,
            kind: next.message.kind,
          });
          if (optionsDrain.redeliverCompletedOnce && !redelivered.has(next.messageId)) {
            redelivered.add(next.messageId);
            ports.publisher.queue.push(clone(next));
          }
          break;
        } catch {
          if (deliveryCount >= delivery.maxDeliveryCount) {
            deadLettered.push(next);
            break;
          }
        }
      }
    }
    return { deadLettered, deliveries };
  }

  return { app, ctx, ports, drain, deliveryOf, processed, clock };
}
