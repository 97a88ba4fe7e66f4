import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { batchLabel, messageIds, splitIntoBatches } from '../domain/batches';
import { ensureError, isTriageError, TriageError, type FieldProblem } from '../domain/errors';
import type { MailboxEntry } from '../domain/inventory';
import {
  schemaVersion,
  topicFor,
  workMessageSchema,
  type MigrateBatchMessage,
  type MigrateMessage,
  type ProvisionMessage,
  type WorkMessage,
} from '../domain/messages';
import {
  orgIdSchema,
  orgSchema,
  parseOrThrow,
  progressOf,
  requestIdSchema,
  requestKinds,
  submitRequestSchema,
  type Org,
  type Progress,
  type RequestRecord,
  type SubmitRequestInput,
} from '../domain/requests';
import {
  canTransition,
  finalStatusFor,
  isTerminal,
  requestStatuses,
  type RequestStatus,
} from '../domain/status';
import type { Topology } from '../domain/topology';
import type { ArtifactStore, InventoryImportResult } from './ports/artifact-store';
import type { ExecutionOutcome, ExecutionTask, Executor } from './ports/executor';
import type { HealthProbe, OutgoingWorkMessage, Publisher } from './ports/publisher';
import type {
  BatchRecord,
  EventStore,
  IdempotencyStore,
  ItemRecord,
  ItemStore,
  ListRequestsFilter,
  OrgStore,
  Page,
  RequestEvent,
  RequestStore,
} from './ports/stores';

export interface AppSettings {
  /** Mailboxes per migration batch (one message, one manifest, one items partition each). */
  batchSize: number;
  /** Items of one batch executed at once. */
  itemConcurrency: number;
}

export interface AppDeps {
  requests: RequestStore;
  items: ItemStore;
  events: EventStore;
  orgs: OrgStore;
  idempotency: IdempotencyStore;
  artifacts: ArtifactStore;
  publisher: Publisher;
  executor: Executor;
  topology: Topology;
  settings: AppSettings;
  probes?: HealthProbe[];
  clock?: () => Date;
  newId?: () => string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Where a work message was delivered: the Function, its tier and Service Bus delivery facts. */
export interface DeliveryContext {
  functionName: string;
  /** The tier this Function serves (from its subscription). */
  tier: string;
  /** 1-based, as Service Bus counts. */
  deliveryCount: number;
  maxDeliveryCount: number;
}

export type WorkResult =
  | 'completed'
  | 'failed'
  | 'duplicate'
  | 'rerouted'
  | 'rejected'
  | 'cancelled'
  | 'planned'
  | 'batch-completed';

export interface RequestView {
  id: string;
  kind: RequestRecord['kind'];
  orgId: string;
  tier: string;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  resource?: RequestRecord['resource'];
  inventory?: string;
  progress: Progress;
  batchCount?: number;
  batchesCompleted: number;
  processedBy?: string;
  reason?: string;
  deadLettered: boolean;
  retryCount: number;
  batches?: Array<Omit<BatchRecord, 'etag' | 'requestId'> & { name: string }>;
  history?: Array<Omit<RequestEvent, 'requestId'>>;
}

export interface SubmitResult {
  request: RequestView;
  /** False when an Idempotency-Key replay returned an existing request. */
  created: boolean;
}

export type App = ReturnType<typeof createApp>;

/**
 * What `recordDeliveryExhausted` did: `recorded` (flags and one `dead-letter` event written),
 * `already-recorded` (an earlier call, or the executor path, recorded this dead-letter), or `ignored`
 * (not the last delivery, a malformed message, or nothing left to replay: finished, cancelled, unknown).
 */
export type DeadLetterRecording = 'recorded' | 'already-recorded' | 'ignored';

const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only');

const continuationTokenSchema = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_=-]+$/, 'a continuationToken as returned by a previous page');

const maxConflictRetries = 25;
/** Longest a finished item's result waits in memory before it is written. */
const flushIntervalInMs = 200;

/**
 * Builds the use-cases once per process over the given ports.
 * Every use-case throws TriageError for what a caller can act on; anything else is a bug or an outage.
 */
export function createApp(deps: AppDeps) {
  const clock = deps.clock ?? (() => new Date());
  const now = (): string => clock().toISOString();
  const newId = deps.newId ?? (() => randomUUID());
  const log = deps.log ?? (() => undefined);
  const { topology } = deps;
  const tierNames = topology.tiers.map((t) => t.name);
  const inFlightNotifications = new Set<Promise<void>>();
  // Errors thrown after the use-case itself recorded the dead-letter (executor failures on the last
  // delivery): the tier Function must not record them a second time.
  const deadLetterRecordedErrors = new WeakSet<object>();
  const rankOf = (tier: string): number =>
    topology.tiers.find((t) => t.name === tier)?.rank ?? Number.MAX_SAFE_INTEGER;

  const listQuerySchema = z.strictObject({
    orgId: orgIdSchema.optional(),
    tier: z.enum(tierNames as [string, ...string[]]).optional(),
    status: z.enum(requestStatuses).optional(),
    kind: z.enum(requestKinds).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
    continuationToken: continuationTokenSchema.optional(),
  });

  /** The organisation's verified tier; an unregistered organisation is served at the default tier. */
  async function resolveTier(orgId: string): Promise<string> {
    const org = await deps.orgs.get(orgId);
    return org && tierNames.includes(org.tier) ? org.tier : topology.defaultTier;
  }

  /** Records a history event, then publishes it as a notification; a failed publish stays visible as unpublished. */
  async function recordEvent(
    request: Pick<RequestRecord, 'id' | 'orgId' | 'tier'>,
    event: Omit<RequestEvent, 'eventId' | 'published' | 'requestId' | 'at'>,
  ): Promise<void> {
    notify(request, await deps.events.append({ ...event, requestId: request.id, at: now() }));
  }

  /** Publishes a stored status event as a notification, in the background. */
  function notify(request: Pick<RequestRecord, 'id' | 'orgId' | 'tier'>, stored: RequestEvent): void {
    if (stored.type !== 'status' || !stored.status) return;
    const notification = {
      schemaVersion,
      kind: 'status-changed',
      requestId: request.id,
      orgId: request.orgId,
      tier: request.tier,
      status: stored.status,
      at: stored.at,
      eventId: stored.eventId,
    } as const;
    // The event is stored first; publishing it does not hold up the caller. A failed publish leaves the
    // event marked unpublished in the history (visible, replayable), never silently lost.
    const publishing = deps.publisher
      .publishNotification(notification)
      .then(() => deps.events.markPublished(request.id, stored.eventId))
      .catch((err: unknown) => {
        log(
          'warn',
          `notification for ${request.id} (${notification.status}) not published: ${ensureError(err).message}`,
        );
      })
      .finally(() => inFlightNotifications.delete(publishing));
    inFlightNotifications.add(publishing);
  }

  /**
   * Read-modify-write of a request with ETag concurrency. `mutate` returns the new record, or null for
   * "nothing to change". Records a status event when the status changed.
   */
  async function mutateRequest(
    requestId: string,
    mutate: (current: RequestRecord) => RequestRecord | null,
    eventMessage?: string,
    known?: RequestRecord,
  ): Promise<RequestRecord | null> {
    for (let attempt = 0; attempt < maxConflictRetries; attempt++) {
      // A record just read or written (with its ETag) saves the first read; a conflict re-reads.
      const current = attempt === 0 && known?.etag ? known : await deps.requests.get(requestId);
      if (!current) return null;
      const next = mutate(current);
      if (!next) return current;
      try {
        const saved = await deps.requests.update({ ...next, updatedAt: now() });
        if (saved.status !== current.status) {
          await recordEvent(saved, {
            type: 'status',
            status: saved.status,
            ...(eventMessage ? { message: eventMessage } : {}),
          });
        }
        return saved;
      } catch (err: unknown) {
        if (!isTriageError(err, 'concurrency')) throw err;
      }
    }
    throw new TriageError(
      'concurrency',
      `request ${requestId} kept changing; giving up after ${maxConflictRetries} attempts`,
    );
  }

  function hashBody(input: SubmitRequestInput): string {
    return createHash('sha256').update(JSON.stringify(input)).digest('hex');
  }

  function toWorkMessage(record: RequestRecord): ProvisionMessage | MigrateMessage {
    const common = { schemaVersion, requestId: record.id, orgId: record.orgId, tier: record.tier } as const;
    if (record.kind === 'provision') {
      if (!record.resource) throw new TypeError(`provision request ${record.id} has no resource`);
      return { ...common, kind: 'provision', resource: record.resource };
    }
    if (!record.inventory) throw new TypeError(`migrate request ${record.id} has no inventory`);
    return { ...common, kind: 'migrate', inventory: record.inventory };
  }

  async function publishOrUnavailable(messages: OutgoingWorkMessage[]): Promise<void> {
    try {
      await deps.publisher.publishWork(messages);
    } catch (err: unknown) {
      throw new TriageError(
        'dependency-unavailable',
        `Service Bus did not accept the message: ${ensureError(err).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Moves a received request to queued, then publishes it. Queued first, so a worker that picks the
   * message up at once always finds it queued (the history reads received → queued → running).
   */
  async function queue(record: RequestRecord): Promise<RequestRecord> {
    const saved =
      (await mutateRequest(
        record.id,
        (current) => (current.status === 'received' ? { ...current, status: 'queued' } : null),
        undefined,
        record,
      )) ?? record;
    await publishOrUnavailable([{ message: toWorkMessage(saved), messageId: messageIds.request(saved.id) }]);
    return saved;
  }

  /** Whether a replayed submission should publish again: its first attempt may have stopped before publishing. */
  function mayNeedPublishing(record: RequestRecord): boolean {
    return (
      record.status === 'received' ||
      (record.status === 'queued' && !record.processedBy && record.retryCount === 0)
    );
  }

  async function view(record: RequestRecord, detail: boolean): Promise<RequestView> {
    const base: RequestView = {
      id: record.id,
      kind: record.kind,
      orgId: record.orgId,
      tier: record.tier,
      status: record.status,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ...(record.resource ? { resource: record.resource } : {}),
      ...(record.inventory ? { inventory: record.inventory } : {}),
      progress: progressOf(record),
      ...(record.batchCount !== undefined ? { batchCount: record.batchCount } : {}),
      batchesCompleted: record.batchesCompleted,
      ...(record.processedBy ? { processedBy: record.processedBy } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
      deadLettered: record.deadLettered ?? false,
      retryCount: record.retryCount,
    };
    if (!detail) return base;
    const [batches, history] = await Promise.all([
      record.kind === 'migrate' ? deps.requests.listBatches(record.id) : Promise.resolve([]),
      deps.events.list(record.id),
    ]);
    if (batches.some((b) => b.deadLettered)) base.deadLettered = true;
    return {
      ...base,
      batches: batches.map(({ etag: _etag, requestId: _requestId, ...rest }) => ({
        name: batchLabel(rest.batchNumber),
        ...rest,
      })),
      history: history.map(({ requestId: _requestId, ...rest }) => rest),
    };
  }

  // ---------------------------------------------------------------- intake

  /**
   * Validates, records and publishes a request at the organisation's verified tier.
   * @throws TriageError `validation` naming each bad field; `idempotency-mismatch` when the key was used
   *   with another body; `dependency-unavailable` when Service Bus does not accept the message.
   */
  async function submitRequest(
    body: unknown,
    options: { idempotencyKey?: string } = {},
  ): Promise<SubmitResult> {
    const input = parseOrThrow(submitRequestSchema, body, 'request');
    const key =
      options.idempotencyKey === undefined
        ? undefined
        : parseOrThrow(
            idempotencyKeySchema,
            options.idempotencyKey,
            'Idempotency-Key header',
            'Idempotency-Key',
          );
    // Reads only, side by side: nothing is written until the input has passed every check.
    const [tier] = await Promise.all([
      resolveTier(input.orgId),
      input.kind === 'migrate' && input.inventory !== undefined
        ? checkInventory(input.orgId, input.inventory)
        : undefined,
    ]);
    const bodyHash = hashBody(input);
    let requestId = newId();
    // True when an earlier attempt with this Idempotency-Key claimed the id but stopped before recording it.
    let resumed = false;

    if (key !== undefined) {
      const claim = await deps.idempotency.claim(input.orgId, key, bodyHash, requestId);
      if (!claim.claimed) {
        if (claim.bodyHash !== bodyHash) {
          throw new TriageError(
            'idempotency-mismatch',
            'this Idempotency-Key was already used with a different body',
            {
              fields: [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
            },
          );
        }
        const existing = await deps.requests.get(claim.requestId);
        if (existing) {
          // A replay whose first attempt stopped before publishing finishes the job.
          // The deterministic messageId lets duplicate detection drop a second publish of a message that did go out.
          const current = mayNeedPublishing(existing) ? await queue(existing) : existing;
          return { request: await view(current, false), created: false };
        }
        requestId = claim.requestId;
        resumed = true;
      }
    }

    const inventory =
      input.kind === 'migrate'
        ? (input.inventory ?? (await deps.artifacts.writeInventory(requestId, input.mailboxes ?? [])))
        : undefined;
    const at = now();
    // Recorded as queued at once (the history still reads received → queued): the message goes out only
    // after the record exists, so a worker that picks it up at once always finds it queued.
    const record: RequestRecord = {
      id: requestId,
      kind: input.kind,
      orgId: input.orgId,
      tier,
      status: 'queued',
      createdAt: at,
      updatedAt: at,
      ...(input.kind === 'provision' ? { resource: input.resource } : {}),
      ...(inventory ? { inventory } : {}),
      batchesCompleted: 0,
      total: input.kind === 'provision' ? 1 : (input.mailboxes?.length ?? 0),
      succeeded: 0,
      failed: 0,
      bodyHash,
      retryCount: 0,
    };
    const appendHistory = (): Promise<RequestEvent[]> => {
      const common = { requestId, at } as const;
      return Promise.all([
        deps.events.append({
          ...common,
          type: 'status',
          status: 'received',
          message: `tier ${tier} from the organisation registry`,
        }),
        deps.events.append({ ...common, type: 'status', status: 'queued' }),
      ]);
    };
    // Order and crash safety: (1) the record and its history are written, (2) then the message is
    // published, (3) then the caller gets 202. A crash before (2) leaves at most a queued record whose
    // caller saw no 202; a replay with the same Idempotency-Key finds it unpublished (mayNeedPublishing)
    // and publishes it. A crash after (2) loses nothing: the message is durable and the worker finds the
    // record. Nothing is published (work or notification) for a request that is not recorded.
    let created: RequestRecord;
    if (!resumed) {
      // A fresh id cannot conflict, so the history is written beside the record rather than after it;
      // if the record's write fails, the history rows stay unreachable (no request points at them).
      const [saved, events] = await Promise.all([deps.requests.create(record), appendHistory()]);
      for (const event of events) notify(saved, event);
      created = saved;
    } else {
      try {
        created = await deps.requests.create(record);
        for (const event of await appendHistory()) notify(created, event);
      } catch (err: unknown) {
        if (!isTriageError(err, 'conflict')) throw err;
        // A concurrent replay with the same key recorded it first.
        created = (await deps.requests.get(requestId)) ?? record;
      }
    }
    if (created.status === 'received') {
      created = await queue(created); // recorded by an earlier version, or by a worker: queue() publishes
    } else if (mayNeedPublishing(created)) {
      await publishOrUnavailable([
        { message: toWorkMessage(created), messageId: messageIds.request(created.id) },
      ]);
    }
    return { request: await view(created, false), created: true };
  }

  /** @throws TriageError `validation` unless the inventory exists under the organisation's own prefix. */
  async function checkInventory(orgId: string, blobName: string): Promise<void> {
    // Uploaded inventories live under `{orgId}/`: one organisation cannot migrate another's list.
    if (blobName.startsWith(`${orgId}/`) && (await deps.artifacts.inventoryExists(blobName))) return;
    throw new TriageError('validation', 'inventory not found', {
      fields: [
        {
          field: 'inventory',
          message:
            'no such inventory for this organisation; upload it with POST /api/inventories?orgId= first',
        },
      ],
    });
  }

  /**
   * Streams a CSV inventory into Blob. Nothing is written when a row is bad.
   * @throws TriageError `validation` for a bad orgId.
   */
  async function importInventory(
    orgId: unknown,
    csv: AsyncIterable<Uint8Array>,
    options: { maxBytes?: number } = {},
  ): Promise<InventoryImportResult> {
    const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
    return deps.artifacts.importInventoryCsv(id, csv, options);
  }

  // ---------------------------------------------------------------- queries and operator actions

  /** @throws TriageError `validation` for a malformed id, `not-found` when there is no such request. */
  async function getRequest(id: unknown): Promise<RequestView> {
    const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
    const record = await deps.requests.get(requestId);
    if (!record) throw new TriageError('not-found', `no request "${requestId}"`);
    return view(record, true);
  }

  /** @throws TriageError `validation` naming each bad query parameter. */
  async function listRequests(query: Record<string, string | undefined>): Promise<Page<RequestView>> {
    const parsed = parseOrThrow(listQuerySchema, stripUndefined(query), 'query');
    const filter: ListRequestsFilter = {
      ...(parsed.orgId ? { orgId: parsed.orgId } : {}),
      ...(parsed.tier ? { tier: parsed.tier } : {}),
      ...(parsed.status ? { status: parsed.status } : {}),
      ...(parsed.kind ? { kind: parsed.kind } : {}),
    };
    let page: Page<RequestRecord>;
    try {
      page = await deps.requests.list(filter, parsed.limit ?? 50, parsed.continuationToken);
    } catch (err: unknown) {
      if (isTriageError(err)) throw err;
      throw new TriageError('validation', 'invalid continuationToken', {
        fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
        cause: err,
      });
    }
    const items = await Promise.all(page.items.map((r) => view(r, false)));
    return { items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  }

  /**
   * Stops what has not started; what ran stays recorded.
   * @throws TriageError `not-found`, or `invalid-transition` when the request already finished.
   */
  async function cancelRequest(id: unknown): Promise<RequestView> {
    const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
    const saved = await mutateRequest(
      requestId,
      (current) => {
        if (current.status === 'cancelled') return null;
        if (!canTransition(current.status, 'cancelled')) {
          throw new TriageError('invalid-transition', `request is already ${current.status}`);
        }
        return { ...current, status: 'cancelled' };
      },
      'cancelled by an operator',
    );
    if (!saved) throw new TriageError('not-found', `no request "${requestId}"`);
    return view(saved, true);
  }

  /**
   * Re-queues what failed (failed items, dead-lettered batches, a failed provisioning), and replays what
   * was dead-lettered while the request is not finished (see `recordDeliveryExhausted`).
   * @throws TriageError `not-found`; `invalid-transition` when there is nothing to retry;
   *   `dependency-unavailable` when Service Bus does not accept the messages (the flags are restored).
   */
  async function retryRequest(id: unknown): Promise<RequestView> {
    const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
    const record = await deps.requests.get(requestId);
    if (!record) throw new TriageError('not-found', `no request "${requestId}"`);
    if (!isTerminal(record.status)) {
      const replayed = await replayDeadLettered(record);
      if (replayed) return view(replayed, true);
    }
    if (record.status !== 'failed' && record.status !== 'completed-with-errors') {
      throw new TriageError(
        'invalid-transition',
        isTerminal(record.status)
          ? `only failed or completed-with-errors requests can be retried (this one is ${record.status})`
          : `nothing to retry: the request is ${record.status} and none of its messages is dead-lettered`,
      );
    }
    const retryCount = record.retryCount + 1;
    if (record.kind === 'provision' || record.batchCount === undefined) {
      const saved = await mutateRequest(
        requestId,
        (current) =>
          current.status === 'failed' || current.status === 'completed-with-errors'
            ? {
                ...current,
                status: 'queued',
                succeeded: 0,
                failed: 0,
                deadLettered: false,
                retryCount,
                reason: undefined,
              }
            : null,
        'retry requested',
      );
      if (!saved) throw new TriageError('not-found', `no request "${requestId}"`);
      await publishOrUnavailable([
        { message: toWorkMessage(saved), messageId: messageIds.retry(requestId, retryCount) },
      ]);
      return view(saved, true);
    }

    // Migration: reopen each batch that has failures, undoing its roll-up in the same transaction.
    const batches = await deps.requests.listBatches(requestId);
    const reopened: number[] = [];
    for (const batch of batches) {
      if (batch.failed === 0 && !batch.deadLettered && batch.status === 'completed') continue;
      if (batch.status !== 'completed') continue;
      const items = await deps.items.list(requestId, batch.batchNumber);
      const failed = items.filter((i) => i.status === 'failed');
      await deps.items.write(
        requestId,
        batch.batchNumber,
        failed.map((i) => ({ ...i, status: 'retry', at: now() })),
      );
      for (let attempt = 0; ; attempt++) {
        const [b, r] = await Promise.all([
          deps.requests.getBatch(requestId, batch.batchNumber),
          deps.requests.get(requestId),
        ]);
        if (!b || !r || b.status !== 'completed') break;
        try {
          await deps.requests.commitBatchAndRequest(
            { ...b, status: 'queued', succeeded: 0, failed: 0, deadLettered: false },
            {
              ...r,
              status: 'queued',
              succeeded: r.succeeded - b.succeeded,
              failed: r.failed - b.failed,
              batchesCompleted: r.batchesCompleted - 1,
              retryCount,
              deadLettered: false,
              updatedAt: now(),
            },
          );
          reopened.push(batch.batchNumber);
          break;
        } catch (err: unknown) {
          if (!isTriageError(err, 'concurrency') || attempt >= maxConflictRetries) throw err;
        }
      }
    }
    const saved = (await deps.requests.get(requestId)) ?? record;
    if (reopened.length > 0) {
      await recordEvent(saved, {
        type: 'status',
        status: 'queued',
        message: `retry of ${reopened.length} batch(es)`,
      });
      await publishOrUnavailable(
        reopened.map((batchNumber) => ({
          message: batchMessage(saved, batchNumber),
          messageId: messageIds.retry(requestId, retryCount, batchNumber),
        })),
      );
    }
    return view(saved, true);
  }

  /**
   * Replays the messages of an unfinished request that were dead-lettered for a reason other than the
   * executor (`recordDeliveryExhausted`): the request's own message (a provisioning, or a migration's
   * planning) when its `reason` is set, and each dead-lettered batch that is not completed. Each goes out
   * with a new deterministic messageId (`messageIds.retry`), so duplicate detection does not drop it;
   * `retryCount` is bumped first, so a replayed delivery's executor attempts do not repeat earlier ones.
   * Clearing a flag is the claim (ETag-checked): two concurrent retries do not replay twice.
   * @returns the request after the replay, or null when nothing was dead-lettered.
   */
  async function replayDeadLettered(record: RequestRecord): Promise<RequestRecord | null> {
    const requestId = record.id;
    const retryCount = record.retryCount + 1;
    const outgoing: OutgoingWorkMessage[] = [];
    let ownReason: string | undefined;
    let saved: RequestRecord = record;

    if (record.deadLettered && record.reason !== undefined) {
      const cleared = await mutateRequest(
        requestId,
        (current) => {
          ownReason = undefined;
          if (isTerminal(current.status) || !current.deadLettered || current.reason === undefined)
            return null;
          ownReason = current.reason;
          return {
            ...current,
            deadLettered: false,
            reason: undefined,
            retryCount: Math.max(current.retryCount, retryCount),
          };
        },
        undefined,
        record,
      );
      if (cleared) saved = cleared;
      if (ownReason !== undefined) {
        outgoing.push({ message: toWorkMessage(saved), messageId: messageIds.retry(requestId, retryCount) });
      }
    }

    const replayedBatches: Array<{ batchNumber: number; lastError?: string }> = [];
    if (record.kind === 'migrate' && record.batchCount !== undefined) {
      for (const batch of await deps.requests.listBatches(requestId)) {
        if (batch.status === 'completed' || !batch.deadLettered) continue;
        for (let attempt = 0; ; attempt++) {
          const [b, r] = await Promise.all([
            deps.requests.getBatch(requestId, batch.batchNumber),
            deps.requests.get(requestId),
          ]);
          if (!b || !r || b.status === 'completed' || !b.deadLettered || isTerminal(r.status)) break;
          const nextRequest: RequestRecord = {
            ...r,
            // The request's own dead-letter (a `reason`) stays until its message is replayed.
            deadLettered: r.reason === undefined ? false : (r.deadLettered ?? false),
            retryCount: Math.max(r.retryCount, retryCount),
            updatedAt: now(),
          };
          try {
            await deps.requests.commitBatchAndRequest(
              { ...b, deadLettered: false, lastError: undefined },
              nextRequest,
            );
          } catch (err: unknown) {
            if (!isTriageError(err, 'concurrency') || attempt >= maxConflictRetries) throw err;
            continue;
          }
          saved = nextRequest;
          replayedBatches.push({
            batchNumber: b.batchNumber,
            ...(b.lastError !== undefined ? { lastError: b.lastError } : {}),
          });
          outgoing.push({
            message: batchMessage(nextRequest, b.batchNumber),
            messageId: messageIds.retry(requestId, retryCount, b.batchNumber),
          });
          break;
        }
      }
    }
    if (outgoing.length === 0) return null;

    const current = (await deps.requests.get(requestId)) ?? saved;
    try {
      for (let start = 0; start < outgoing.length; start += 100) {
        await publishOrUnavailable(outgoing.slice(start, start + 100));
      }
    } catch (err: unknown) {
      // Nothing (or not everything) went out: flag it again so it stays visible and a later retry replays it.
      await restoreDeadLetters(requestId, ownReason, replayedBatches).catch((restoreErr: unknown) => {
        log('error', `retry of ${requestId}: flags not restored: ${ensureError(restoreErr).message}`);
      });
      throw err;
    }
    const what = [
      ...(ownReason !== undefined ? [`the ${record.kind} message`] : []),
      ...(replayedBatches.length > 0
        ? [`${replayedBatches.map((b) => batchLabel(b.batchNumber)).join(', ')}`]
        : []),
    ].join(' and ');
    await recordEvent(current, { type: 'retry', message: `replayed dead-lettered ${what}` });
    return current;
  }

  /** Puts back the flags a replay cleared when its messages could not be published. */
  async function restoreDeadLetters(
    requestId: string,
    ownReason: string | undefined,
    batches: Array<{ batchNumber: number; lastError?: string }>,
  ): Promise<void> {
    for (const { batchNumber, lastError } of batches) {
      for (let attempt = 0; ; attempt++) {
        const b = await deps.requests.getBatch(requestId, batchNumber);
        if (!b || b.status === 'completed' || b.deadLettered) break;
        try {
          await deps.requests.updateBatch({
            ...b,
            deadLettered: true,
            ...(lastError !== undefined ? { lastError } : {}),
          });
          break;
        } catch (err: unknown) {
          if (!isTriageError(err, 'concurrency') || attempt >= maxConflictRetries) throw err;
        }
      }
    }
    await mutateRequest(requestId, (current) =>
      isTerminal(current.status)
        ? null
        : {
            ...current,
            deadLettered: true,
            ...(ownReason !== undefined && current.reason === undefined ? { reason: ownReason } : {}),
          },
    );
  }

  /** @throws TriageError `validation` naming each bad field (including a tier the topology does not know). */
  async function upsertOrg(orgId: unknown, body: unknown): Promise<Org> {
    const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
    const input = parseOrThrow(orgSchema, body, 'organisation');
    if (!tierNames.includes(input.tier)) {
      throw new TriageError('validation', `unknown tier "${input.tier}"`, {
        fields: [{ field: 'tier', message: `one of ${tierNames.join(', ')}` }],
      });
    }
    return deps.orgs.upsert({ orgId: id, ...input, updatedAt: now() });
  }

  /** An unregistered organisation is served at the default tier. @throws TriageError `validation`. */
  async function getOrg(orgId: unknown): Promise<Org> {
    const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
    return (
      (await deps.orgs.get(id)) ?? {
        orgId: id,
        name: id,
        sector: 'unknown',
        tier: topology.defaultTier,
        updatedAt: new Date(0).toISOString(),
        registered: false,
      }
    );
  }

  async function health(): Promise<{
    status: 'ok' | 'degraded';
    checks: Record<string, { ok: boolean; error?: string }>;
  }> {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all(
      (deps.probes ?? []).map(async (probe) => {
        try {
          await probe.check();
          checks[probe.name] = { ok: true };
        } catch (err: unknown) {
          checks[probe.name] = { ok: false, error: ensureError(err).message };
        }
      }),
    );
    return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'degraded', checks };
  }

  // ---------------------------------------------------------------- workers

  function batchMessage(request: RequestRecord, batchNumber: number): MigrateBatchMessage {
    return {
      schemaVersion,
      kind: 'migrate-batch',
      requestId: request.id,
      orgId: request.orgId,
      tier: request.tier,
      batchNumber,
      batchCount: request.batchCount ?? batchNumber,
    };
  }

  async function execute(task: ExecutionTask): Promise<ExecutionOutcome> {
    try {
      return await deps.executor.execute(task);
    } catch (err: unknown) {
      // An unexpected throw from an executor is treated as transient.
      return { ok: false, retryable: true, reason: ensureError(err).message };
    }
  }

  /**
   * Handles one work message delivered to a tier Function: verifies the tier, creates the request if a
   * trusted producer published directly, then provisions, plans a migration or runs a batch.
   * @throws TriageError (retryable) for transient failures: the caller lets Service Bus redeliver.
   */
  async function processWork(body: unknown, ctx: DeliveryContext): Promise<WorkResult> {
    const parsed = workMessageSchema.safeParse(body);
    if (!parsed.success) {
      // A malformed message can never succeed: complete it rather than loop until dead-lettered.
      log('error', `${ctx.functionName}: rejected malformed message: ${parsed.error.message}`);
      return 'rejected';
    }
    const message = parsed.data;
    if (message.tier !== ctx.tier) {
      log(
        'error',
        `${ctx.functionName}: message for tier ${message.tier} delivered to tier ${ctx.tier}; rejected`,
      );
      return 'rejected';
    }

    // Re-check the tier: a message claiming a higher tier than the organisation's goes to its real tier.
    const realTier = await resolveTier(message.orgId);
    if (rankOf(message.tier) < rankOf(realTier)) {
      const rerouted: WorkMessage = { ...message, tier: realTier };
      const request = await ensureRequest(message, realTier);
      await recordEvent(request, {
        type: 'reroute',
        message: `message claimed tier ${message.tier}; organisation ${message.orgId} is ${realTier}: re-routed`,
      });
      await deps.publisher.publishWork([
        {
          message: rerouted,
          messageId: messageIds.reroute(
            message.requestId,
            realTier,
            message.kind === 'migrate-batch' ? message.batchNumber : undefined,
          ),
        },
      ]);
      return 'rerouted';
    }

    switch (message.kind) {
      case 'provision':
        return processProvision(message, ctx);
      case 'migrate':
        return planMigration(message, ctx);
      case 'migrate-batch':
        return processBatch(message, ctx);
    }
  }

  /** The request a message belongs to, created from the message when a trusted producer published directly. */
  async function ensureRequest(
    message: ProvisionMessage | MigrateMessage | MigrateBatchMessage,
    tier: string,
  ): Promise<RequestRecord> {
    const existing = await deps.requests.get(message.requestId);
    if (existing) return existing;
    if (message.kind === 'migrate-batch') {
      throw new TriageError('not-found', `batch message for unknown request ${message.requestId}`);
    }
    const at = now();
    const record: RequestRecord = {
      id: message.requestId,
      kind: message.kind,
      orgId: message.orgId,
      tier,
      status: 'received',
      createdAt: at,
      updatedAt: at,
      ...(message.kind === 'provision' ? { resource: message.resource } : { inventory: message.inventory }),
      batchesCompleted: 0,
      total: message.kind === 'provision' ? 1 : 0,
      succeeded: 0,
      failed: 0,
      retryCount: 0,
    };
    try {
      const created = await deps.requests.create(record);
      await recordEvent(created, {
        type: 'status',
        status: 'received',
        message: 'published directly by a trusted producer',
      });
      return created;
    } catch (err: unknown) {
      if (!isTriageError(err, 'conflict')) throw err;
      return (await deps.requests.get(message.requestId)) ?? record;
    }
  }

  /**
   * The executor's attempt number for a provisioning: a retry publishes a new message whose delivery count
   * restarts at 1, so each earlier retry round counts as a full set of deliveries. Attempt numbers thus
   * never repeat (an executor may decide transient failures per attempt, so a repeat would fail again).
   */
  function provisionAttempt(request: RequestRecord, ctx: DeliveryContext): number {
    return request.retryCount * ctx.maxDeliveryCount + ctx.deliveryCount;
  }

  function isLastDelivery(ctx: DeliveryContext): boolean {
    return ctx.deliveryCount >= ctx.maxDeliveryCount;
  }

  /** Marks an error thrown after its dead-letter was recorded, so `deadLetterRecorded` knows. */
  function withDeadLetterRecorded<E extends Error>(err: E): E {
    deadLetterRecordedErrors.add(err);
    return err;
  }

  /** True for an error `processWork` threw after recording the message's dead-letter itself. */
  function deadLetterRecorded(err: unknown): boolean {
    return typeof err === 'object' && err !== null && deadLetterRecordedErrors.has(err);
  }

  async function processProvision(message: ProvisionMessage, ctx: DeliveryContext): Promise<WorkResult> {
    const request = await ensureRequest(message, message.tier);
    if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'duplicate';
    // The records just read or written (with their ETags) save a re-read; a stale one re-reads.
    const running = await mutateRequest(
      request.id,
      (current) =>
        current.status === 'running' || isTerminal(current.status)
          ? null
          : { ...current, status: 'running', processedBy: ctx.functionName },
      undefined,
      request,
    );
    // Cancelled (or finished by another delivery) since it was read: nothing starts.
    if (running && isTerminal(running.status))
      return running.status === 'cancelled' ? 'cancelled' : 'duplicate';
    const outcome = await execute({
      kind: 'provision',
      requestId: request.id,
      orgId: request.orgId,
      tier: request.tier,
      itemId: request.id,
      idempotencyKey: `${request.id}:provision`,
      payload: { resource: message.resource },
      attempt: provisionAttempt(request, ctx),
    });
    if (!outcome.ok && outcome.retryable && !isLastDelivery(ctx)) {
      throw new TriageError('execution-failed', `transient: ${outcome.reason}`, { retryable: true });
    }
    const deadLettered = !outcome.ok && outcome.retryable;
    await mutateRequest(
      request.id,
      (current) => {
        if (isTerminal(current.status)) return null;
        return outcome.ok
          ? { ...current, status: 'completed', succeeded: 1, failed: 0, processedBy: ctx.functionName }
          : {
              ...current,
              status: 'failed',
              succeeded: 0,
              failed: 1,
              reason: outcome.reason,
              deadLettered,
              processedBy: ctx.functionName,
            };
      },
      outcome.ok ? outcome.detail : outcome.reason,
      running ?? undefined,
    );
    if (deadLettered) {
      await recordEvent(request, {
        type: 'dead-letter',
        message: `delivery ${ctx.deliveryCount} of ${ctx.maxDeliveryCount} failed: ${outcome.ok ? '' : outcome.reason}`,
      });
      // Throwing on the last delivery lets Service Bus dead-letter the message (MaxDeliveryCountExceeded).
      throw withDeadLetterRecorded(
        new TriageError(
          'execution-failed',
          `transient failures exhausted ${ctx.maxDeliveryCount} deliveries`,
          {
            retryable: true,
          },
        ),
      );
    }
    return outcome.ok ? 'completed' : 'failed';
  }

  async function readInventory(blobName: string): Promise<MailboxEntry[]> {
    const mailboxes: MailboxEntry[] = [];
    for await (const entry of deps.artifacts.readInventory(blobName)) mailboxes.push(entry);
    return mailboxes;
  }

  /**
   * Splits the inventory into batches, writes the manifests, records the batches and publishes one
   * `migrate-batch` message per batch. Redelivery re-publishes only what is not completed.
   */
  async function planMigration(message: MigrateMessage, ctx: DeliveryContext): Promise<WorkResult> {
    let request = await ensureRequest(message, message.tier);
    if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'duplicate';
    if (request.batchCount === undefined) {
      const mailboxes = await readInventory(request.inventory ?? message.inventory);
      const batches = splitIntoBatches(mailboxes, deps.settings.batchSize);
      const manifests = await mapLimit(batches, 8, async (b) => ({
        batchNumber: b.batchNumber,
        total: b.items.length,
        manifest: (await deps.artifacts.writeBatchManifest(request.id, b.batchNumber, b.items)).ndjsonBlob,
      }));
      await deps.requests.ensureBatches(
        manifests.map((m) => ({ requestId: request.id, status: 'queued', succeeded: 0, failed: 0, ...m })),
      );
      const planned = await mutateRequest(
        request.id,
        (current) => {
          if (current.batchCount !== undefined || isTerminal(current.status)) return null;
          const empty = batches.length === 0;
          return {
            ...current,
            batchCount: batches.length,
            total: mailboxes.length,
            status: empty ? 'completed' : 'running',
            processedBy: ctx.functionName,
          };
        },
        `planned ${batches.length} batch(es) of up to ${deps.settings.batchSize}`,
      );
      if (!planned) return 'rejected';
      request = planned;
      if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'planned';
    }
    const open = (await deps.requests.listBatches(request.id)).filter((b) => b.status !== 'completed');
    for (let start = 0; start < open.length; start += 100) {
      await deps.publisher.publishWork(
        open.slice(start, start + 100).map((b) => ({
          message: batchMessage(request, b.batchNumber),
          messageId: messageIds.batch(request.id, b.batchNumber),
        })),
      );
    }
    return 'planned';
  }

  /**
   * Executes a batch item by item. Items already final are never executed again; results are written in
   * entity-group transactions after each chunk, so a redelivery or a crash repeats at most one chunk.
   * The batch's counters roll up into the request atomically when its last item is final.
   */
  async function processBatch(message: MigrateBatchMessage, ctx: DeliveryContext): Promise<WorkResult> {
    const request = await deps.requests.get(message.requestId);
    if (!request) {
      log(
        'error',
        `${ctx.functionName}: batch ${message.batchNumber} of unknown request ${message.requestId}`,
      );
      return 'rejected';
    }
    if (request.status === 'cancelled') return 'cancelled';
    const batch = await deps.requests.getBatch(request.id, message.batchNumber);
    if (!batch) return 'rejected';
    if (batch.status === 'completed') return 'duplicate';

    const mailboxes = await deps.artifacts.readBatchManifest(request.id, message.batchNumber);
    const done = new Map<number, ItemRecord>();
    // Attempts an item used before a retry re-opened it (its row says `retry`): the new message's delivery
    // count restarts at 1, so attempt = earlier attempts + this delivery, and never repeats. An item with no
    // row may have been tried by a batch message that was dead-lettered and replayed: each earlier retry
    // round counts as a full set of deliveries (as for a provisioning), so its attempts do not repeat either.
    const priorAttempts = new Map<number, number>();
    for (const item of await deps.items.list(request.id, message.batchNumber)) {
      if (item.status === 'retry') priorAttempts.set(item.index, item.attempts);
      else done.set(item.index, item);
    }
    const earlierRounds = request.retryCount * ctx.maxDeliveryCount;
    const attemptOf = (index: number): number =>
      Math.max(priorAttempts.get(index) ?? 0, earlierRounds) + ctx.deliveryCount;
    const todo = mailboxes.map((m, index) => ({ m, index })).filter(({ index }) => !done.has(index));
    let lastTransient: string | undefined;
    const pendingTransient: Array<{ index: number; address: string; reason: string }> = [];

    // Results are written as they arrive: in transactions of up to 100, or after `flushIntervalInMs`
    // with fewer, so a crash or lost lock repeats little work, however slow the executor.
    const buffer: ItemRecord[] = [];
    let flushing: Promise<void> = Promise.resolve();
    let cancelled = false;
    // Set when a write fails: the other workers stop taking items, so nothing runs on after the message is abandoned.
    let stopped = false;
    let lastFlush = Date.now();
    const flush = (): Promise<void> => {
      const records = buffer.splice(0, buffer.length);
      lastFlush = Date.now();
      flushing = flushing.then(async () => {
        if (records.length > 0) await deps.items.write(request.id, message.batchNumber, records);
        // Cancellation is checked once per flush: cheap, and soon enough to stop what has not started.
        const current = await deps.requests.get(request.id);
        if (current?.status === 'cancelled') cancelled = true;
      });
      return flushing;
    };
    const timer = setInterval(() => {
      if (buffer.length > 0 && Date.now() - lastFlush >= flushIntervalInMs)
        void flush().catch(() => undefined);
    }, flushIntervalInMs);
    try {
      await mapLimit(todo, deps.settings.itemConcurrency, async ({ m, index }) => {
        if (cancelled || stopped) return;
        const attempt = attemptOf(index);
        const outcome = await execute({
          kind: 'migrate-mailbox',
          requestId: request.id,
          orgId: request.orgId,
          tier: request.tier,
          itemId: `${batchLabel(message.batchNumber)}:${index}`,
          idempotencyKey: `${request.id}:${message.batchNumber}:${index}`,
          payload: { address: m.address, ...(m.sizeBytes !== undefined ? { sizeBytes: m.sizeBytes } : {}) },
          attempt,
        });
        if (outcome.ok) {
          buffer.push({
            index,
            address: m.address,
            status: 'succeeded',
            attempts: attempt,
            at: now(),
            ...(outcome.detail ? { detail: outcome.detail } : {}),
          });
        } else if (!outcome.retryable) {
          buffer.push({
            index,
            address: m.address,
            status: 'failed',
            attempts: attempt,
            reason: outcome.reason,
            at: now(),
          });
        } else {
          lastTransient = outcome.reason;
          pendingTransient.push({ index, address: m.address, reason: outcome.reason });
        }
        if (buffer.length >= 100) await flush();
      });
      await flush();
    } catch (err: unknown) {
      stopped = true;
      throw err;
    } finally {
      clearInterval(timer);
      // Surface a failed background write: the message must not complete with results unwritten.
      await flushing;
    }
    if (cancelled) return 'cancelled';

    if (pendingTransient.length > 0) {
      if (!isLastDelivery(ctx)) {
        throw new TriageError(
          'execution-failed',
          `${pendingTransient.length} item(s) failed transiently (last: ${lastTransient})`,
          {
            retryable: true,
          },
        );
      }
      // Last delivery: record what is left as failed so the request finishes, then let the message dead-letter.
      await deps.items.write(
        request.id,
        message.batchNumber,
        pendingTransient.map((p) => ({
          index: p.index,
          address: p.address,
          status: 'failed',
          attempts: attemptOf(p.index),
          reason: `transient failures exhausted ${ctx.maxDeliveryCount} deliveries: ${p.reason}`,
          at: now(),
        })),
      );
    }

    const result = await completeBatch(
      request.id,
      message.batchNumber,
      mailboxes.length,
      ctx,
      pendingTransient.length > 0 ? lastTransient : undefined,
    );
    if (pendingTransient.length > 0) {
      await recordEvent(request, {
        type: 'dead-letter',
        message: `${batchLabel(message.batchNumber)} dead-lettered after ${ctx.deliveryCount} deliveries`,
      });
      throw withDeadLetterRecorded(
        new TriageError(
          'execution-failed',
          `transient failures exhausted ${ctx.maxDeliveryCount} deliveries`,
          {
            retryable: true,
          },
        ),
      );
    }
    return result;
  }

  async function completeBatch(
    requestId: string,
    batchNumber: number,
    total: number,
    ctx: DeliveryContext,
    deadLetterReason?: string,
  ): Promise<WorkResult> {
    for (let attempt = 0; attempt < maxConflictRetries * 4; attempt++) {
      const [batch, request, items] = await Promise.all([
        deps.requests.getBatch(requestId, batchNumber),
        deps.requests.get(requestId),
        deps.items.list(requestId, batchNumber),
      ]);
      if (!batch || !request) return 'rejected';
      if (batch.status === 'completed') return 'duplicate';
      const succeeded = items.filter((i) => i.status === 'succeeded').length;
      const failed = items.filter((i) => i.status === 'failed').length;
      if (succeeded + failed < total) {
        throw new TriageError(
          'execution-failed',
          `${batchLabel(batchNumber)}: ${total - succeeded - failed} item(s) not final`,
          { retryable: true },
        );
      }
      const nextRequest: RequestRecord = {
        ...request,
        succeeded: request.succeeded + succeeded,
        failed: request.failed + failed,
        batchesCompleted: request.batchesCompleted + 1,
        updatedAt: now(),
        ...(deadLetterReason ? { deadLettered: true } : {}),
      };
      const allDone = request.batchCount !== undefined && nextRequest.batchesCompleted >= request.batchCount;
      if (allDone && !isTerminal(request.status)) {
        nextRequest.status = finalStatusFor(nextRequest);
      } else if (!isTerminal(request.status) && request.status !== 'running') {
        nextRequest.status = 'running';
      }
      try {
        await deps.requests.commitBatchAndRequest(
          {
            ...batch,
            status: 'completed',
            succeeded,
            failed,
            processedBy: ctx.functionName,
            // A batch flagged dead-lettered whose work was finished by another message is no longer dead.
            ...(deadLetterReason
              ? { deadLettered: true, lastError: deadLetterReason }
              : batch.deadLettered
                ? { deadLettered: false, lastError: undefined }
                : {}),
          },
          nextRequest,
        );
      } catch (err: unknown) {
        if (!isTriageError(err, 'concurrency')) throw err;
        // Another batch rolled up first: back off a little and re-read.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt + 1, 10)));
        continue;
      }
      if (nextRequest.status !== request.status) {
        await recordEvent(nextRequest, {
          type: 'status',
          status: nextRequest.status,
          message: `${batchLabel(batchNumber)} completed`,
        });
      }
      return 'batch-completed';
    }
    throw new TriageError(
      'concurrency',
      `${batchLabel(batchNumber)} of ${requestId}: roll-up kept conflicting`,
    );
  }

  /**
   * Records a work message that is about to be dead-lettered for a reason other than the executor's
   * (a Table or Blob write, a publish, a roll-up that kept conflicting, a bug): the tier Function calls it
   * when a retryable error ends the last delivery, then rethrows so Service Bus dead-letters the message.
   * It makes the dead-letter visible in GET /api/requests/{id} and replayable by POST …/retry:
   * - `provision` / `migrate`: the request gets `deadLettered` and `reason`; its status is left alone
   *   (the work's outcome is unknown, not failed: a provisioning may even have run, and `running` →
   *   `queued` is not a transition). `reason` on a request that is not finished marks the request's own
   *   message as the one to replay.
   * - `migrate-batch`: the batch gets `deadLettered` and `lastError`, the request `deadLettered`, in one
   *   ETag-checked transaction.
   * - plus one `dead-letter` event in the history.
   * Idempotent: what is already flagged is not recorded again (the flags are cleared only by a retry).
   * Finished or cancelled requests, completed batches and malformed messages are ignored: nothing is left
   * to replay. Errors thrown after the executor path recorded its own dead-letter are recognised by
   * `deadLetterRecorded(err)`; the caller skips this call for them.
   */
  async function recordDeliveryExhausted(
    body: unknown,
    ctx: DeliveryContext,
    reason: string,
  ): Promise<DeadLetterRecording> {
    if (!isLastDelivery(ctx)) return 'ignored';
    const parsed = workMessageSchema.safeParse(body);
    if (!parsed.success) return 'ignored';
    const message = parsed.data;
    const why = `delivery ${ctx.deliveryCount} of ${ctx.maxDeliveryCount} (${ctx.functionName}) failed: ${reason.slice(0, 1000)}`;

    if (message.kind === 'migrate-batch') {
      const label = batchLabel(message.batchNumber);
      for (let attempt = 0; ; attempt++) {
        const [batch, request] = await Promise.all([
          deps.requests.getBatch(message.requestId, message.batchNumber),
          deps.requests.get(message.requestId),
        ]);
        if (!batch || !request || batch.status === 'completed' || isTerminal(request.status))
          return 'ignored';
        if (batch.deadLettered) return 'already-recorded';
        try {
          await deps.requests.commitBatchAndRequest(
            { ...batch, deadLettered: true, lastError: why },
            { ...request, deadLettered: true, updatedAt: now() },
          );
        } catch (err: unknown) {
          if (!isTriageError(err, 'concurrency') || attempt >= maxConflictRetries) throw err;
          continue;
        }
        await recordEvent(request, { type: 'dead-letter', message: `${label} dead-lettered: ${why}` });
        return 'recorded';
      }
    }

    // The request exists unless its very creation kept failing (a trusted producer's message): record it
    // now, at the tier processWork would have used, so the dead-letter is visible and replayable.
    const known = await deps.requests.get(message.requestId);
    const realTier = known ? known.tier : await resolveTier(message.orgId);
    const request =
      known ??
      (await ensureRequest(message, rankOf(message.tier) < rankOf(realTier) ? realTier : message.tier));
    let recorded = false;
    const saved = await mutateRequest(
      request.id,
      (current) => {
        recorded = false;
        if (isTerminal(current.status) || (current.deadLettered && current.reason !== undefined)) return null;
        recorded = true;
        return { ...current, deadLettered: true, reason: why };
      },
      undefined,
      request,
    );
    if (!saved || !recorded) return saved && !isTerminal(saved.status) ? 'already-recorded' : 'ignored';
    await recordEvent(saved, {
      type: 'dead-letter',
      message: `${message.kind} message dead-lettered: ${why}`,
    });
    return 'recorded';
  }

  /** Resolves when every notification started so far has been published or given up on (tests, shutdown). */
  async function flushNotifications(): Promise<void> {
    while (inFlightNotifications.size > 0) await Promise.all([...inFlightNotifications]);
  }

  return {
    flushNotifications,
    submitRequest,
    importInventory,
    getRequest,
    listRequests,
    cancelRequest,
    retryRequest,
    recordDeliveryExhausted,
    deadLetterRecorded,
    upsertOrg,
    getOrg,
    health,
    processWork,
    resolveTier,
    topicFor,
    deps,
  };
}

function stripUndefined(query: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = v;
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i] as T);
      }
    }),
  );
  return results;
}

export type { FieldProblem };
