import type { ArtifactStore, InventoryImportResult } from '../../../shared/app/ports/artifact-store';
import type { ExecutionOutcome, ExecutionTask, Executor } from '../../../shared/app/ports/executor';
import type { OutgoingWorkMessage, Publisher } from '../../../shared/app/ports/publisher';
import type {
  BatchRecord,
  EventStore,
  IdempotencyClaim,
  IdempotencyStore,
  ItemRecord,
  ItemStore,
  ListRequestsFilter,
  OrgStore,
  Page,
  RequestEvent,
  RequestStore,
} from '../../../shared/app/ports/stores';
import { createApp, type AppSettings, type DeliveryContext } from '../../../shared/app/create-app';
import type { StatusNotification } from '../../../shared/domain/messages';
import type { MailboxEntry } from '../../../shared/domain/inventory';
import type { Org, RequestRecord } from '../../../shared/domain/requests';
import { isTriageError, TriageError } from '../../../shared/domain/errors';
import { topology } from '../../../shared/topology';
import { subscriptionSettings, tierSubscription } from '../../../shared/domain/topology';

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
    return r ? clone(r) : null;
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
    const start = token ? Number(token) : 0;
    const items = all.slice(start, start + limit).map(clone);
    return { items, ...(start + limit < all.length ? { continuationToken: String(start + limit) } : {}) };
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
    return b ? clone(b) : null;
  }
  async listBatches(requestId: string): Promise<BatchRecord[]> {
    return [...this.batches.values()].filter((b) => b.requestId === requestId).map(clone);
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
  async get(orgId: string): Promise<Org | null> {
    return clone(this.orgs.get(orgId) ?? null);
  }
  async upsert(org: Omit<Org, 'registered'>): Promise<Org> {
    const saved = { ...org, registered: true };
    this.orgs.set(org.orgId, saved);
    return clone(saved);
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

export class MemoryArtifactStore implements ArtifactStore {
  blobs = new Map<string, MailboxEntry[]>();
  async importInventoryCsv(orgId: string, csv: AsyncIterable<Uint8Array>): Promise<InventoryImportResult> {
    let text = '';
    for await (const chunk of csv) text += Buffer.from(chunk).toString('utf8');
    const lines = text.split(/\r?\n/).filter(Boolean).slice(1);
    const name = `inventories/${orgId}/${this.blobs.size}.ndjson`;
    this.blobs.set(
      name,
      lines.map((l) => ({ address: l.split(',')[0] ?? '' })),
    );
    return { blobName: name, rowCount: lines.length, badRows: [] };
  }
  async writeInventory(requestId: string, mailboxes: MailboxEntry[]): Promise<string> {
    const name = `inventories/requests/${requestId}.ndjson`;
    this.blobs.set(name, clone(mailboxes));
    return name;
  }
  async inventoryExists(name: string): Promise<boolean> {
    return this.blobs.has(name);
  }
  async *readInventory(name: string): AsyncIterable<MailboxEntry> {
    for (const m of this.blobs.get(name) ?? []) yield m;
  }
  async writeBatchManifest(
    requestId: string,
    n: number,
    mailboxes: MailboxEntry[],
  ): Promise<{ ndjsonBlob: string; csvBlob: string }> {
    const base = `manifests/${requestId}/batch-${String(n).padStart(4, '0')}`;
    this.blobs.set(`${base}.ndjson`, clone(mailboxes));
    return { ndjsonBlob: `${base}.ndjson`, csvBlob: `${base}.csv` };
  }
  async readBatchManifest(requestId: string, n: number): Promise<MailboxEntry[]> {
    return clone(this.blobs.get(`manifests/${requestId}/batch-${String(n).padStart(4, '0')}.ndjson`) ?? []);
  }
  async ensureContainers(): Promise<void> {}
}

export class MemoryPublisher implements Publisher {
  queue: OutgoingWorkMessage[] = [];
  sent: OutgoingWorkMessage[] = [];
  notifications: StatusNotification[] = [];
  seenIds = new Set<string>();
  fail = false;
  /** When set, a publish containing a message it matches is rejected as a whole. */
  failWhen: ((m: OutgoingWorkMessage) => boolean) | undefined;
  async publishWork(messages: OutgoingWorkMessage[]): Promise<void> {
    if (this.fail) throw new Error('broker down');
    const failWhen = this.failWhen;
    if (failWhen && messages.some((m) => failWhen(m))) throw new Error('broker refused the batch messages');
    for (const m of messages) {
      this.sent.push(clone(m));
      // Duplicate detection, like the topics' requiresDuplicateDetection.
      if (this.seenIds.has(m.messageId)) continue;
      this.seenIds.add(m.messageId);
      this.queue.push(clone(m));
    }
  }
  async publishNotification(n: StatusNotification): Promise<void> {
    this.notifications.push(clone(n));
  }
}

/** Deterministic executor: `plan(task, calls)` decides each outcome; counts successful calls per item. */
export class ScriptedExecutor implements Executor {
  readonly name = 'scripted';
  calls = new Map<string, number>();
  successes = new Map<string, number>();
  constructor(
    private readonly plan: (task: ExecutionTask, call: number) => ExecutionOutcome = () => ({ ok: true }),
  ) {}
  async execute(task: ExecutionTask): Promise<ExecutionOutcome> {
    const call = (this.calls.get(task.idempotencyKey) ?? 0) + 1;
    this.calls.set(task.idempotencyKey, call);
    const outcome = this.plan(task, call);
    if (outcome.ok)
      this.successes.set(task.idempotencyKey, (this.successes.get(task.idempotencyKey) ?? 0) + 1);
    return outcome;
  }
}

export function createTestApp(options: { executor?: Executor; settings?: Partial<AppSettings> } = {}) {
  const ports = {
    requests: new MemoryRequestStore(),
    items: new MemoryItemStore(),
    events: new MemoryEventStore(),
    orgs: new MemoryOrgStore(),
    idempotency: new MemoryIdempotencyStore(),
    artifacts: new MemoryArtifactStore(),
    publisher: new MemoryPublisher(),
    executor: options.executor ?? new ScriptedExecutor(),
  };
  let id = 0;
  const app = createApp({
    ...ports,
    topology,
    settings: { batchSize: 10, itemConcurrency: 4, ...options.settings },
    newId: () => `req${String(++id).padStart(4, '0')}`,
  });
  const processed: Array<{ functionName: string; tier: string; messageTier: string; kind: string }> = [];

  /**
   * Delivers queued messages to the tier "Function" matching their tier, like the subscriptions do:
   * a throw redelivers (deliveryCount + 1) until maxDeliveryCount, then dead-letters. Like the tier
   * Function (functions/tier-workers.ts), a retryable failure of the last delivery is first recorded with
   * recordDeliveryExhausted unless the use-case recorded it already.
   */
  async function drain(
    optionsDrain: { redeliverCompletedOnce?: boolean } = {},
  ): Promise<{ deadLettered: OutgoingWorkMessage[] }> {
    const deadLettered: OutgoingWorkMessage[] = [];
    const redelivered = new Set<string>();
    while (ports.publisher.queue.length > 0) {
      const next = ports.publisher.queue.shift()!;
      const topic = next.message.kind === 'provision' ? 'provisioning' : 'migration';
      const tier = next.message.tier;
      const prefix = topic === 'provisioning' ? 'provision' : 'migrate';
      const { maxDeliveryCount } = subscriptionSettings(topology, tierSubscription(topology, topic, tier));
      for (let deliveryCount = 1; ; deliveryCount++) {
        const ctx: DeliveryContext = {
          functionName: `${prefix}-${tier}`,
          tier,
          deliveryCount,
          maxDeliveryCount,
        };
        try {
          await app.processWork(clone(next.message), ctx);
          processed.push({
            functionName: ctx.functionName,
            tier,
            messageTier: next.message.tier,
            kind: next.message.kind,
          });
          if (optionsDrain.redeliverCompletedOnce && !redelivered.has(next.messageId)) {
            redelivered.add(next.messageId);
            ports.publisher.queue.push(clone(next));
          }
          break;
        } catch (err: unknown) {
          const retryable = isTriageError(err) ? err.retryable : true;
          if (!retryable) break;
          if (deliveryCount >= maxDeliveryCount) {
            if (!app.deadLetterRecorded(err)) {
              const reason = err instanceof Error ? err.message : String(err);
              await app.recordDeliveryExhausted(clone(next.message), ctx, reason).catch(() => undefined);
            }
            deadLettered.push(next);
            break;
          }
        }
      }
    }
    return { deadLettered };
  }

  return { app, ports, drain, processed };
}
