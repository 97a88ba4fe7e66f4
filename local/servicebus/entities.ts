/**
 * The broker's entity model: queues, topics, subscriptions and their dead-letter sub-queues.
 *
 * All state is in memory and lives as long as the broker process: nothing is persisted, a restart
 * starts empty. Each receivable entity (a queue or a subscription) is a `MessageStore` with:
 * - `messages`: every live message by sequence number (Map insertion order = sequence order, for peek);
 * - `ready`: a min-heap of deliverable messages by sequence number (abandoned messages go back in
 *   front of newer ones, as in Service Bus);
 * - heaps of lock expiries, scheduled times and TTL expiries, checked by a periodic tick.
 * Heap entries are removed lazily: an entry is ignored when the message has moved on since.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';
import { z } from 'zod';
import { parseIsoDurationInMs } from '../../shared/domain/duration';
import type { Topology } from '../../shared/domain/topology';
import { subscriptionSettings } from '../../shared/domain/topology';
import { MinHeap } from './heap';

export type EntityKind = 'queue' | 'topic' | 'subscription';

export interface EntityCounts {
  path: string;
  kind: EntityKind;
  active: number;
  scheduled: number;
  deadLettered: number;
}

/** Settings of a receivable entity, in milliseconds. */
export interface StoreSettings {
  lockDurationInMs: number;
  maxDeliveryCount: number;
  defaultMessageTimeToLiveInMs: number;
  deadLetteringOnMessageExpiration: boolean;
}

/** Settings of an entity one sends to, in milliseconds. */
export interface SendSettings {
  defaultMessageTimeToLiveInMs: number;
  requiresDuplicateDetection: boolean;
  duplicateDetectionHistoryTimeWindowInMs: number;
}

const isoDuration = z.string().refine((text) => {
  try {
    parseIsoDurationInMs(text);
    return true;
  } catch {
    return false;
  }
}, 'expected an ISO 8601 duration such as PT1M');

const receiveSettingsSchema = z.object({
  lockDuration: isoDuration,
  maxDeliveryCount: z.number().int().min(1),
  defaultMessageTimeToLive: isoDuration,
  deadLetteringOnMessageExpiration: z.boolean(),
});
const sendSettingsSchema = z.object({
  defaultMessageTimeToLive: isoDuration,
  requiresDuplicateDetection: z.boolean(),
  duplicateDetectionHistoryTimeWindow: isoDuration,
});
const entityName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dots, dashes');

/** Additional entities (same shapes as the topology's settings), e.g. from `--entities file.json`. */
export const extraEntitiesSchema = z.object({
  queues: z
    .array(
      z.object({
        name: entityName,
        settings: receiveSettingsSchema.extend(sendSettingsSchema.shape).partial().optional(),
      }),
    )
    .optional(),
  topics: z
    .array(
      z.object({
        name: entityName,
        settings: sendSettingsSchema.partial().optional(),
        subscriptions: z.array(
          z.object({
            name: entityName,
            filter: z.record(z.string(), z.string()).nullable(),
            settings: receiveSettingsSchema.partial().optional(),
          }),
        ),
      }),
    )
    .optional(),
});
export type ExtraEntities = z.infer<typeof extraEntitiesSchema>;

export type MessageState = 'available' | 'locked' | 'deferred' | 'scheduled' | 'gone';

export interface StoredMessage {
  readonly seq: number;
  /** The decoded AMQP message in rhea's flat shape; replaced (never mutated) when properties change. */
  message: Message;
  readonly enqueuedAt: number;
  expiresAt: number;
  deliveryCount: number;
  state: MessageState;
  /** Deferred messages return to the deferred set, not the ready heap, when their lock ends. */
  deferred: boolean;
  lockToken: string | undefined;
  lockedUntil: number;
  scheduledAt: number;
  inReadyHeap: boolean;
  /** Fault injection: this message already had its first completion ignored. */
  faultRedelivered: boolean;
  /** Persistence: the message body or properties changed since they were last journaled. */
  messageChanged: boolean;
}

interface ExpiryEntry {
  at: number;
  seq: number;
}

interface LockEntry {
  until: number;
  token: string;
  stored: StoredMessage;
}

export const DEAD_LETTER_SUFFIX = '/$DeadLetterQueue';

/** A queue, a subscription, or a dead-letter sub-queue: something one receives from. */
export class MessageStore {
  readonly messages = new Map<number, StoredMessage>();
  readonly locks = new Map<string, StoredMessage>();
  /** Receivers attached to this store; the broker owns their shape. */
  readonly consumers: unknown[] = [];
  consumerCursor = 0;
  readonly deadLetter: MessageStore | null;
  private nextSeq = 1;
  private readonly ready = new MinHeap<StoredMessage>((a, b) => a.seq < b.seq);
  private readonly lockHeap = new MinHeap<LockEntry>((a, b) => a.until < b.until);
  private readonly scheduledHeap = new MinHeap<StoredMessage>((a, b) => a.scheduledAt < b.scheduledAt);
  /** Light entries (no message reference) so that settled messages are not kept alive until their TTL. */
  private expiryHeap = new MinHeap<ExpiryEntry>((a, b) => a.at < b.at);

  constructor(
    readonly path: string,
    readonly kind: 'queue' | 'subscription',
    readonly settings: StoreSettings,
    private readonly hooks: StoreHooks,
    isDeadLetter = false,
  ) {
    this.deadLetter = isDeadLetter
      ? null
      : new MessageStore(
          path + DEAD_LETTER_SUFFIX,
          kind,
          {
            lockDurationInMs: settings.lockDurationInMs,
            maxDeliveryCount: Number.POSITIVE_INFINITY,
            defaultMessageTimeToLiveInMs: Number.POSITIVE_INFINITY,
            deadLetteringOnMessageExpiration: false,
          },
          hooks,
          true,
        );
  }

  get isDeadLetter(): boolean {
    return this.deadLetter === null;
  }

  /** Adds a message; `scheduledAt` in the future keeps it invisible until then. */
  enqueue(
    message: Message,
    now: number,
    scheduledAt = 0,
    ttlCapInMs = Number.POSITIVE_INFINITY,
    /** A topic assigns one sequence number shared by every subscription's copy. */
    seq?: number,
    /** A dead-lettered message keeps the count it had. */
    deliveryCount = 0,
  ): StoredMessage {
    const own = typeof message.ttl === 'number' && message.ttl > 0 ? message.ttl : Number.POSITIVE_INFINITY;
    // Service Bus never expires a dead-lettered message: its TTL stays on it but no longer applies.
    const ttl = this.isDeadLetter ? Number.POSITIVE_INFINITY : Math.min(own, ttlCapInMs);
    const visibleAt = Math.max(now, scheduledAt);
    const stored: StoredMessage = {
      seq: seq ?? this.nextSeq++,
      // subscribe() in the SDK fails on a message without an id; Service Bus always assigns one.
      message: message.message_id === undefined ? { ...message, message_id: randomUUID() } : message,
      enqueuedAt: visibleAt,
      expiresAt: visibleAt + Math.min(ttl, this.settings.defaultMessageTimeToLiveInMs),
      deliveryCount,
      state: 'available',
      deferred: false,
      lockToken: undefined,
      lockedUntil: 0,
      scheduledAt,
      inReadyHeap: false,
      faultRedelivered: false,
      messageChanged: true,
    };
    this.messages.set(stored.seq, stored);
    if (scheduledAt > now) {
      stored.state = 'scheduled';
      this.scheduledHeap.push(stored);
    } else {
      this.makeAvailable(stored);
    }
    this.persist(stored);
    return stored;
  }

  /** Tells the persistence layer (when there is one) the message's new state. */
  private persist(stored: StoredMessage): void {
    if (this.hooks.onPersist) this.hooks.onPersist(this, stored);
  }

  /** The next deliverable message (lowest sequence number), expiring stale ones on the way. */
  takeNext(now: number): StoredMessage | undefined {
    for (;;) {
      const stored = this.ready.pop();
      if (!stored) return undefined;
      stored.inReadyHeap = false;
      if (stored.state !== 'available') continue;
      if (stored.expiresAt <= now) {
        this.expire(stored);
        continue;
      }
      return stored;
    }
  }

  get hasReady(): boolean {
    return this.ready.size > 0;
  }

  lock(stored: StoredMessage, token: string, now: number): void {
    stored.state = 'locked';
    stored.lockToken = token;
    stored.lockedUntil = now + this.settings.lockDurationInMs;
    this.locks.set(token, stored);
    this.lockHeap.push({ until: stored.lockedUntil, token, stored });
    this.persist(stored);
  }

  /** Extends a lock by the entity's lock duration; returns the new expiry or undefined when lost. */
  renewLock(token: string, now: number): number | undefined {
    const stored = this.locks.get(token);
    if (!stored) return undefined;
    stored.lockedUntil = now + this.settings.lockDurationInMs;
    this.lockHeap.push({ until: stored.lockedUntil, token, stored });
    return stored.lockedUntil;
  }

  /** Removes a message for good (completed, received-and-deleted, or dropped). */
  remove(stored: StoredMessage): void {
    this.clearLock(stored);
    stored.state = 'gone';
    this.messages.delete(stored.seq);
    this.persist(stored);
  }

  /**
   * Abandon or lock expiry: one more delivery attempt, or the dead-letter queue when none are left.
   * A dead-letter queue does not count deliveries: abandoning one of its messages leaves the count as
   * it was (the SDK's own tests expect 0 again after abandoning a fresh dead-letter).
   */
  abandon(stored: StoredMessage, propertiesToModify?: Record<string, unknown>): void {
    this.clearLock(stored);
    if (propertiesToModify) this.modifyProperties(stored, propertiesToModify);
    if (this.isDeadLetter) {
      this.returnFromLock(stored);
      this.persist(stored);
      return;
    }
    stored.deliveryCount++;
    if (stored.deliveryCount >= this.settings.maxDeliveryCount && !stored.deferred) {
      this.moveToDeadLetter(
        stored,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
      );
      return;
    }
    this.returnFromLock(stored);
    this.persist(stored);
  }

  /** Fault injection: the completion is ignored once and the message comes back. */
  redeliverAfterCompletion(stored: StoredMessage): void {
    this.clearLock(stored);
    stored.faultRedelivered = true;
    stored.deliveryCount++;
    this.returnFromLock(stored);
    this.persist(stored);
  }

  /**
   * Defer ends the delivery like an abandon does: the count goes up, so a deferred message received
   * by sequence number reports one more than its last delivery (0 → defer → 1), as Service Bus does.
   */
  defer(stored: StoredMessage, propertiesToModify?: Record<string, unknown>): void {
    this.clearLock(stored);
    if (propertiesToModify) this.modifyProperties(stored, propertiesToModify);
    if (!this.isDeadLetter) stored.deliveryCount++;
    stored.deferred = true;
    stored.state = 'deferred';
    this.persist(stored);
  }

  /** Service Bus refuses to dead-letter a message that is already in a dead-letter queue. */
  static readonly deadLetterRefusal =
    'Cannot dead-letter a message received from a dead-letter queue: complete it to remove it, or abandon or defer it.';

  /** Releases a refused settlement's lock without counting a delivery (the message is available again). */
  releaseLock(stored: StoredMessage): void {
    this.clearLock(stored);
    this.returnFromLock(stored);
    this.persist(stored);
  }

  deadLetterMessage(
    stored: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify?: Record<string, unknown>,
  ): void {
    this.clearLock(stored);
    if (propertiesToModify) this.modifyProperties(stored, propertiesToModify);
    this.moveToDeadLetter(stored, reason, description);
  }

  /**
   * Messages from `fromSeq` on, in sequence order (active, locked, deferred and scheduled ones).
   * A diagnostic operation, so a scan is acceptable (insertion order is not sequence order once a
   * topic's scheduled message arrives late).
   */
  peek(fromSeq: number, count: number): StoredMessage[] {
    if (count <= 0) return [];
    const result: StoredMessage[] = [];
    for (const stored of this.messages.values()) {
      if (stored.seq >= fromSeq) result.push(stored);
    }
    return result.sort((a, b) => a.seq - b.seq).slice(0, count);
  }

  cancelScheduled(seq: number): boolean {
    const stored = this.messages.get(seq);
    if (!stored || stored.state !== 'scheduled') return false;
    this.remove(stored);
    return true;
  }

  /** Releases due schedules, expired locks and expired messages. */
  tick(now: number): void {
    for (
      let top = this.scheduledHeap.peek();
      top && top.scheduledAt <= now;
      top = this.scheduledHeap.peek()
    ) {
      this.scheduledHeap.pop();
      if (top.state === 'scheduled') {
        this.makeAvailable(top);
        this.persist(top);
      }
    }
    for (let top = this.lockHeap.peek(); top && top.until <= now; top = this.lockHeap.peek()) {
      this.lockHeap.pop();
      const stored = top.stored;
      // A renewed lock has a later entry; a settled one has moved on.
      if (stored.lockToken === top.token && stored.lockedUntil <= now) this.abandon(stored);
    }
    for (let top = this.expiryHeap.peek(); top && top.at <= now; top = this.expiryHeap.peek()) {
      this.expiryHeap.pop();
      const stored = this.messages.get(top.seq);
      if (stored?.state === 'available' && stored.expiresAt <= now) this.expire(stored);
    }
  }

  counts(): { active: number; scheduled: number } {
    let active = 0;
    let scheduled = 0;
    for (const stored of this.messages.values()) {
      if (stored.state === 'scheduled') scheduled++;
      else active++;
    }
    return { active, scheduled };
  }

  private makeAvailable(stored: StoredMessage): void {
    stored.state = 'available';
    if (!stored.inReadyHeap) {
      stored.inReadyHeap = true;
      this.ready.push(stored);
    }
    if (Number.isFinite(stored.expiresAt)) {
      this.expiryHeap.push({ at: stored.expiresAt, seq: stored.seq });
      // Entries of settled messages linger until their (long) TTL: rebuild when they dominate.
      if (this.expiryHeap.size > 2 * this.messages.size + 1024) this.rebuildExpiryHeap();
    }
    this.hooks.onAvailable(this);
  }

  private rebuildExpiryHeap(): void {
    this.expiryHeap = new MinHeap<ExpiryEntry>((a, b) => a.at < b.at);
    for (const stored of this.messages.values()) {
      if (stored.state === 'available' && Number.isFinite(stored.expiresAt)) {
        this.expiryHeap.push({ at: stored.expiresAt, seq: stored.seq });
      }
    }
  }

  private returnFromLock(stored: StoredMessage): void {
    if (stored.deferred) stored.state = 'deferred';
    else this.makeAvailable(stored);
  }

  private clearLock(stored: StoredMessage): void {
    if (stored.lockToken !== undefined) this.locks.delete(stored.lockToken);
    stored.lockToken = undefined;
    stored.lockedUntil = 0;
  }

  private modifyProperties(stored: StoredMessage, properties: Record<string, unknown>): void {
    stored.message = {
      ...stored.message,
      application_properties: { ...stored.message.application_properties, ...properties },
    };
    stored.messageChanged = true;
  }

  private expire(stored: StoredMessage): void {
    if (this.settings.deadLetteringOnMessageExpiration) {
      this.moveToDeadLetter(stored, 'TTLExpiredException', 'The message expired and was dead lettered.');
    } else {
      this.remove(stored);
    }
  }

  private moveToDeadLetter(stored: StoredMessage, reason?: string, description?: string): void {
    this.remove(stored);
    const target = this.deadLetter;
    if (!target) return;
    const properties: Record<string, unknown> = { ...stored.message.application_properties };
    if (reason !== undefined) properties.DeadLetterReason = reason;
    if (description !== undefined) properties.DeadLetterErrorDescription = description;
    target.enqueue(
      {
        ...stored.message,
        application_properties: properties,
        message_annotations: { ...stored.message.message_annotations, 'x-opt-deadletter-source': this.path },
      },
      Date.now(),
      0,
      Number.POSITIVE_INFINITY,
      undefined,
      stored.deliveryCount,
    );
  }

  // ---- persistence: restoring a store from journaled state ----------------------------------

  /** The next sequence number this store assigns (snapshots keep it so numbers never repeat). */
  get nextSequenceNumber(): number {
    return this.nextSeq;
  }

  set nextSequenceNumber(value: number) {
    this.nextSeq = Math.max(this.nextSeq, value);
  }

  /** Puts a journaled message back as it was recorded (indexes are rebuilt by finishRestore). */
  restore(fields: RestoredMessage, message: Message | undefined): void {
    const existing = this.messages.get(fields.seq);
    const restoredMessage = message ?? existing?.message;
    if (!restoredMessage) return;
    const stored: StoredMessage = existing ?? {
      seq: fields.seq,
      message: restoredMessage,
      enqueuedAt: fields.enqueuedAt,
      expiresAt: fields.expiresAt,
      deliveryCount: 0,
      state: 'available',
      deferred: false,
      lockToken: undefined,
      lockedUntil: 0,
      scheduledAt: fields.scheduledAt,
      inReadyHeap: false,
      faultRedelivered: false,
      messageChanged: false,
    };
    stored.message = restoredMessage;
    stored.expiresAt = fields.expiresAt;
    stored.deliveryCount = fields.deliveryCount;
    stored.state = fields.state;
    stored.deferred = fields.deferred;
    stored.messageChanged = false;
    this.messages.set(stored.seq, stored);
    this.nextSequenceNumber = stored.seq + 1;
  }

  /** Forgets a journaled message that was later removed. */
  restoreRemoval(seq: number): void {
    this.messages.delete(seq);
  }

  /**
   * Rebuilds the indexes after a restore. Locks do not survive a restart: a message that was locked
   * is treated as if its lock expired (one more delivery, or the dead-letter queue at the limit).
   */
  finishRestore(): void {
    const all = [...this.messages.values()].sort((a, b) => a.seq - b.seq);
    for (const stored of all) {
      if (stored.state === 'scheduled') this.scheduledHeap.push(stored);
      else if (stored.state === 'available') this.makeAvailable(stored);
    }
    for (const stored of all) {
      if (stored.state === 'locked') this.abandon(stored);
    }
  }

  /** Every live message, for a snapshot. */
  snapshotMessages(): StoredMessage[] {
    return [...this.messages.values()];
  }
}

/** The journaled state of one message. */
export interface RestoredMessage {
  seq: number;
  enqueuedAt: number;
  expiresAt: number;
  scheduledAt: number;
  deliveryCount: number;
  state: Exclude<MessageState, 'gone'>;
  deferred: boolean;
}

export interface StoreHooks {
  onAvailable(store: MessageStore): void;
  /** Persistence (`--data`): a message was added, changed state, or was removed (state `gone`). */
  onPersist?(store: MessageStore, stored: StoredMessage): void;
  /** Persistence: a duplicate-detection id was recorded until `until`. */
  onDuplicateId?(entity: SendEntity, id: string, until: number): void;
  /** Persistence: a topic-level schedule was added (`message` set) or removed. */
  onTopicSchedule?(entity: SendEntity, seq: number, at: number, message: Message | undefined): void;
}

type FilterEntry = readonly [key: string, expected: string];

const systemProperties: Record<string, keyof Message> = {
  messageid: 'message_id',
  correlationid: 'correlation_id',
  subject: 'subject',
  label: 'subject',
  to: 'to',
  replyto: 'reply_to',
  contenttype: 'content_type',
  sessionid: 'group_id',
};

/**
 * A correlation filter: every entry must equal the message's application property of that name;
 * keys prefixed `sys.` (`sys.correlationId`, `sys.subject`, `sys.messageId`, …) read system properties.
 */
export function matchesFilter(filter: readonly FilterEntry[] | null, message: Message): boolean {
  if (!filter) return true;
  for (const [key, expected] of filter) {
    let actual: unknown;
    if (key.startsWith('sys.')) {
      const field = systemProperties[key.slice(4).toLowerCase()];
      actual = field === undefined ? undefined : message[field];
    } else {
      actual = message.application_properties?.[key];
    }
    if (actual === undefined || actual === null || String(actual) !== expected) return false;
  }
  return true;
}

/** Something one sends to: a queue or a topic. */
export class SendEntity {
  readonly subscriptions: { store: MessageStore; filter: readonly FilterEntry[] | null }[] = [];
  /** messageId → end of its duplicate-detection window; insertion order is expiry order. */
  private readonly recentIds = new Map<string, number>();
  /** Topic-level schedules (queues schedule inside their own store). */
  private readonly scheduled = new Map<number, { message: Message; at: number }>();
  private readonly scheduledHeap = new MinHeap<{ seq: number; at: number }>((a, b) => a.at < b.at);
  /** Topics number messages once, for all their subscriptions (queues number inside their store). */
  private nextSeq = 1;

  constructor(
    readonly path: string,
    readonly kind: 'queue' | 'topic',
    readonly settings: SendSettings,
    /** The queue's own store; null for a topic. */
    readonly queueStore: MessageStore | null,
    private readonly hooks: Pick<StoreHooks, 'onDuplicateId' | 'onTopicSchedule'> = {},
  ) {}

  /** True when the id was seen inside the duplicate-detection window (the message must be dropped). */
  isDuplicate(messageId: unknown, now: number): boolean {
    if (!this.settings.requiresDuplicateDetection || messageId === undefined || messageId === null)
      return false;
    const key = Buffer.isBuffer(messageId) ? messageId.toString('hex') : String(messageId);
    const until = this.recentIds.get(key);
    if (until !== undefined && until > now) return true;
    this.recentIds.delete(key);
    const windowEnd = now + this.settings.duplicateDetectionHistoryTimeWindowInMs;
    this.recentIds.set(key, windowEnd);
    if (this.hooks.onDuplicateId) this.hooks.onDuplicateId(this, key, windowEnd);
    return false;
  }

  /** Accepts one message: duplicate check, schedule or route. Returns the sequence number if scheduled. */
  send(message: Message, now: number): number | undefined {
    const scheduledAt = scheduledTimeOf(message);
    if (this.isDuplicate(message.message_id, now)) return undefined;
    if (scheduledAt > now) return this.schedule(message, scheduledAt, now);
    this.route(message, now);
    return undefined;
  }

  /** Schedules a message (the `$management` path, which skips duplicate detection as Service Bus does). */
  schedule(message: Message, at: number, now: number): number {
    if (this.queueStore) {
      return this.queueStore.enqueue(message, now, at, this.settings.defaultMessageTimeToLiveInMs).seq;
    }
    const seq = this.nextSeq++;
    this.scheduled.set(seq, { message, at });
    this.scheduledHeap.push({ seq, at });
    if (this.hooks.onTopicSchedule) this.hooks.onTopicSchedule(this, seq, at, message);
    return seq;
  }

  cancelScheduled(seq: number): boolean {
    if (this.queueStore) return this.queueStore.cancelScheduled(seq);
    const removed = this.scheduled.delete(seq);
    if (removed && this.hooks.onTopicSchedule) this.hooks.onTopicSchedule(this, seq, 0, undefined);
    return removed;
  }

  // ---- persistence ---------------------------------------------------------------------------

  get nextSequenceNumber(): number {
    return this.nextSeq;
  }

  set nextSequenceNumber(value: number) {
    this.nextSeq = Math.max(this.nextSeq, value);
  }

  /** The duplicate-detection window and topic schedules, for a snapshot. */
  snapshotState(): {
    recentIds: Array<[string, number]>;
    scheduled: Array<{ seq: number; at: number; message: Message }>;
  } {
    return {
      recentIds: [...this.recentIds],
      scheduled: [...this.scheduled].map(([seq, entry]) => ({ seq, ...entry })),
    };
  }

  restoreDuplicateId(id: string, until: number): void {
    this.recentIds.delete(id);
    this.recentIds.set(id, until);
  }

  restoreTopicSchedule(seq: number, at: number, message: Message | undefined): void {
    if (message) this.scheduled.set(seq, { message, at });
    else this.scheduled.delete(seq);
    this.nextSequenceNumber = seq + 1;
  }

  /** Rebuilds indexes after a restore: ids in window-end order, the schedule heap. */
  finishRestore(now: number): void {
    const ids = [...this.recentIds].filter(([, until]) => until > now).sort((a, b) => a[1] - b[1]);
    this.recentIds.clear();
    for (const [id, until] of ids) this.recentIds.set(id, until);
    for (const [seq, entry] of this.scheduled) this.scheduledHeap.push({ seq, at: entry.at });
  }

  get scheduledCount(): number {
    return this.scheduled.size;
  }

  tick(now: number): void {
    for (const [id, until] of this.recentIds) {
      if (until > now) break;
      this.recentIds.delete(id);
    }
    for (let top = this.scheduledHeap.peek(); top && top.at <= now; top = this.scheduledHeap.peek()) {
      this.scheduledHeap.pop();
      const entry = this.scheduled.get(top.seq);
      if (!entry) continue;
      this.scheduled.delete(top.seq);
      if (this.hooks.onTopicSchedule) this.hooks.onTopicSchedule(this, top.seq, 0, undefined);
      this.route(entry.message, now, top.seq);
    }
  }

  private route(received: Message, now: number, scheduledSeq?: number): void {
    const ttlCap = this.settings.defaultMessageTimeToLiveInMs;
    const message = received.message_id === undefined ? { ...received, message_id: randomUUID() } : received;
    if (this.queueStore) {
      this.queueStore.enqueue(message, now, 0, ttlCap);
      return;
    }
    const seq = scheduledSeq ?? this.nextSeq++;
    // A message that matches no subscription is dropped, as in Service Bus.
    for (const subscription of this.subscriptions) {
      if (matchesFilter(subscription.filter, message))
        subscription.store.enqueue(message, now, 0, ttlCap, seq);
    }
  }
}

function scheduledTimeOf(message: Message): number {
  const value: unknown = message.message_annotations?.['x-opt-scheduled-enqueue-time'];
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return 0;
}

/** Every entity of a broker, addressable by path (case-insensitive, as in Service Bus). */
export class EntityRegistry {
  readonly sendEntities = new Map<string, SendEntity>();
  readonly stores = new Map<string, MessageStore>();

  constructor(topology: Topology, extra: ExtraEntities | undefined, hooks: StoreHooks) {
    for (const topic of topology.topics) {
      const entity = this.addTopic(topic.name, hooks, {
        defaultMessageTimeToLiveInMs: parseIsoDurationInMs(topic.settings.defaultMessageTimeToLive),
        requiresDuplicateDetection: topic.settings.requiresDuplicateDetection,
        duplicateDetectionHistoryTimeWindowInMs: parseIsoDurationInMs(
          topic.settings.duplicateDetectionHistoryTimeWindow,
        ),
      });
      for (const subscription of topic.subscriptions) {
        const settings = subscriptionSettings(topology, subscription);
        this.addSubscription(
          entity,
          subscription.name,
          subscription.filter,
          toStoreSettings(settings),
          hooks,
        );
      }
    }
    const defaults = topology.subscriptionDefaults;
    for (const queue of extra?.queues ?? []) {
      const s = {
        ...defaults,
        requiresDuplicateDetection: false,
        duplicateDetectionHistoryTimeWindow: 'PT10M',
        ...queue.settings,
      };
      const store = new MessageStore(queue.name, 'queue', toStoreSettings(s), hooks);
      this.register(store);
      this.sendEntities.set(
        queue.name.toLowerCase(),
        new SendEntity(
          queue.name,
          'queue',
          {
            defaultMessageTimeToLiveInMs: parseIsoDurationInMs(s.defaultMessageTimeToLive),
            requiresDuplicateDetection: s.requiresDuplicateDetection,
            duplicateDetectionHistoryTimeWindowInMs: parseIsoDurationInMs(
              s.duplicateDetectionHistoryTimeWindow,
            ),
          },
          store,
          hooks,
        ),
      );
    }
    for (const topic of extra?.topics ?? []) {
      const s = {
        defaultMessageTimeToLive: 'P14D',
        requiresDuplicateDetection: false,
        duplicateDetectionHistoryTimeWindow: 'PT10M',
        ...topic.settings,
      };
      const entity = this.addTopic(topic.name, hooks, {
        defaultMessageTimeToLiveInMs: parseIsoDurationInMs(s.defaultMessageTimeToLive),
        requiresDuplicateDetection: s.requiresDuplicateDetection,
        duplicateDetectionHistoryTimeWindowInMs: parseIsoDurationInMs(s.duplicateDetectionHistoryTimeWindow),
      });
      for (const subscription of topic.subscriptions) {
        this.addSubscription(
          entity,
          subscription.name,
          subscription.filter,
          toStoreSettings({ ...defaults, ...subscription.settings }),
          hooks,
        );
      }
    }
  }

  /** The store one receives from at this address (queue, subscription or their dead-letter queues). */
  store(path: string): MessageStore | undefined {
    return this.stores.get(path.toLowerCase());
  }

  sendEntity(path: string): SendEntity | undefined {
    return this.sendEntities.get(path.toLowerCase());
  }

  counts(): EntityCounts[] {
    const result: EntityCounts[] = [];
    for (const entity of this.sendEntities.values()) {
      if (entity.kind !== 'topic') continue;
      result.push({
        path: entity.path,
        kind: 'topic',
        active: 0,
        scheduled: entity.scheduledCount,
        deadLettered: 0,
      });
    }
    for (const store of this.stores.values()) {
      if (store.isDeadLetter) continue;
      const own = store.counts();
      result.push({
        path: store.path,
        kind: store.kind,
        active: own.active,
        scheduled: own.scheduled,
        deadLettered: store.deadLetter?.messages.size ?? 0,
      });
    }
    return result;
  }

  tick(now: number): void {
    for (const entity of this.sendEntities.values()) entity.tick(now);
    for (const store of this.stores.values()) store.tick(now);
  }

  private addTopic(name: string, hooks: StoreHooks, settings: SendSettings): SendEntity {
    if (this.sendEntities.has(name.toLowerCase())) throw new RangeError(`entity "${name}" is defined twice`);
    const entity = new SendEntity(name, 'topic', settings, null, hooks);
    this.sendEntities.set(name.toLowerCase(), entity);
    return entity;
  }

  private addSubscription(
    topic: SendEntity,
    name: string,
    filter: Record<string, string> | null,
    settings: StoreSettings,
    hooks: StoreHooks,
  ): void {
    const store = new MessageStore(`${topic.path}/Subscriptions/${name}`, 'subscription', settings, hooks);
    this.register(store);
    topic.subscriptions.push({ store, filter: filter ? Object.entries(filter) : null });
  }

  private register(store: MessageStore): void {
    if (this.stores.has(store.path.toLowerCase()))
      throw new RangeError(`entity "${store.path}" is defined twice`);
    this.stores.set(store.path.toLowerCase(), store);
    if (store.deadLetter) this.stores.set(store.deadLetter.path.toLowerCase(), store.deadLetter);
  }
}

function toStoreSettings(s: {
  lockDuration: string;
  maxDeliveryCount: number;
  defaultMessageTimeToLive: string;
  deadLetteringOnMessageExpiration: boolean;
}): StoreSettings {
  return {
    lockDurationInMs: parseIsoDurationInMs(s.lockDuration),
    maxDeliveryCount: s.maxDeliveryCount,
    defaultMessageTimeToLiveInMs: parseIsoDurationInMs(s.defaultMessageTimeToLive),
    deadLetteringOnMessageExpiration: s.deadLetteringOnMessageExpiration,
  };
}
