/**
 * A local Service Bus–compatible AMQP 1.0 broker on rhea, for development and tests only.
 *
 * It serves the unmodified `@azure/service-bus` SDK over plain TCP (`UseDevelopmentEmulator=true`):
 * claims-based auth (any token accepted), sends (single, array, batch format 0x80013700), peek-lock
 * and receive-and-delete receivers with drain, settlement on the link or over `$management`, and the
 * `$management` operations peek, renew-lock, schedule, cancel, receive-by-sequence-number and
 * update-disposition. Entities come from infra/topology.json plus optional extra entities.
 *
 * State is in memory, or — with `dataFolder` (`--data`) — also in a crash-safe journal in that folder
 * (persistence.ts), so that a restart loses nothing but locks. See entities.ts for the data structures.
 */
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type * as rhea from 'rhea';
import { create_container, message as amqpMessage, types as amqpTypes } from 'rhea';
import type { Topology } from '../../shared/domain/topology';
import { localServiceBusConnectionString } from '../endpoints';
import {
  EntityRegistry,
  type EntityCounts,
  type ExtraEntities,
  MessageStore,
  type SendEntity,
  type StoredMessage,
} from './entities';
import { ensureError } from '../../shared/domain/errors';
import { newLockToken, uuidBytesToText } from './lock-token';
import { BrokerPersistence } from './persistence';
import { defaultPorts } from '../endpoints';

export type { EntityCounts, ExtraEntities } from './entities';
export { extraEntitiesSchema } from './entities';

export interface BrokerOptions {
  /** Topics and subscriptions to serve (usually `topology` from shared/topology.ts). */
  topology: Topology;
  /** AMQP port; default 5672; 0 picks a free port. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port of the read-only HTTP metrics endpoint; default 0 (a free port); null disables it. */
  metricsPort?: number | null;
  /** Additional queues, topics and subscriptions (same shapes as the topology's settings). */
  extraEntities?: ExtraEntities;
  /** Largest accepted message (or batch) in bytes; default 256 KB, the Standard tier's limit. */
  maxMessageSizeInBytes?: number;
  /**
   * Keep the broker's state in this folder (its `servicebus/` sub-folder) so that a restart loses
   * nothing: messages, scheduled messages, dead-letters and duplicate-detection windows. Locks end at
   * a restart. Default: in memory only.
   */
  dataFolder?: string;
  /** Compact the journal past this many bytes (tests use a small value). */
  compactJournalAfterBytes?: number;
  /** Test fault injection. */
  faults?: {
    /** The first completion of each message does not remove it: it is redelivered once more (deliveryCount+1). */
    redeliverCompletedOnce?: boolean;
  };
  log?: (line: string) => void;
}

export interface RunningBroker {
  port: number;
  metricsPort: number | null;
  /** The `UseDevelopmentEmulator=true` connection string for this broker. */
  connectionString: string;
  /** e.g. http://127.0.0.1:<port>/entities; null when metrics are disabled. */
  metricsUrl: string | null;
  entityCounts(): EntityCounts[];
  /**
   * Fault injection: cuts every client connection at the socket, as a network blip or a gateway restart
   * would; the broker's state stays (locks run out as they would in Service Bus). Returns how many it cut.
   */
  dropConnections(): number;
  close(): Promise<void>;
}

const BATCH_FORMAT = 0x80013700;
const TLS_HANDSHAKE_RECORD = 0x16;
/** A fatal TLS alert, `no_application_protocol` (120): the client fails at once instead of retrying. */
const TLS_ALERT_NO_APPLICATION_PROTOCOL = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 120]);
const tlsNotSupported =
  'the local broker speaks plain AMQP only: no TLS, no WebSockets and no HTTPS administration API ' +
  '(ServiceBusAdministrationClient is not supported by the local broker; entities come from infra/topology.json and --entities)';
const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;
const TICK_INTERVAL_MS = 100;
const MANAGEMENT_SUFFIX = '/$management';
/** The source filter a session receiver (`acceptSession`, `acceptNextSession`) attaches with. */
const SESSION_FILTER = 'com.microsoft:session-filter';
const sessionsNotSupported =
  'Sessions are not supported by the local broker (acceptSession, acceptNextSession and session state). ' +
  'Use entities without sessions locally, or run against Service Bus or the official emulator.';
const sessionOperations = new Set([
  'com.microsoft:renew-session-lock',
  'com.microsoft:set-session-state',
  'com.microsoft:get-session-state',
  'com.microsoft:get-message-sessions',
]);

/** rhea internals the broker relies on that its typings do not declare. */
interface SessionInternals {
  outgoing: { next_delivery_id: number; next_pending_delivery: number; available(): number };
}
interface SenderInternals {
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
  delivery_count: number;
  credit: number;
}
interface OutcomeState {
  undeliverable_here?: boolean;
  message_annotations?: unknown;
  error?: { condition?: string; description?: string; info?: unknown };
}

interface Consumer {
  sender: rhea.Sender;
  store: MessageStore;
  receiveAndDelete: boolean;
  connection: rhea.Connection;
}

interface DeliveryRecord {
  store: MessageStore;
  stored: StoredMessage;
  token: string;
}

type ReceiverTarget =
  { kind: 'cbs' } | { kind: 'management'; entityPath: string } | { kind: 'entity'; entity: SendEntity };

interface ManagementReply {
  status: number;
  body?: unknown;
  condition?: string;
  description?: string;
}

class ManagementError extends Error {
  constructor(
    readonly status: number,
    readonly condition: string,
    message: string,
  ) {
    super(message);
  }
}

const accepted = (): unknown =>
  (amqpMessage as unknown as { accepted(): { described(): unknown } }).accepted().described();
const rejected = (error: { condition: string; description: string }): unknown =>
  (amqpMessage as unknown as { rejected(o: unknown): { described(): unknown } })
    .rejected({ error })
    .described();

/**
 * Starts the broker.
 * @throws Error naming the port when it is already in use or cannot be bound.
 * @throws TypeError/RangeError when the extra entities are invalid or duplicate a topology entity.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? defaultPorts.serviceBus;
  const log = options.log ?? (() => undefined);
  const maxMessageSize = options.maxMessageSizeInBytes ?? DEFAULT_MAX_MESSAGE_SIZE;
  const faults = options.faults ?? {};

  const pending = new Set<MessageStore>();
  let pumpScheduled = false;
  let persistence: BrokerPersistence | undefined;
  const persistHooks = options.dataFolder ? BrokerPersistence.hooks(() => persistence) : {};
  const registry = new EntityRegistry(options.topology, options.extraEntities, {
    ...persistHooks,
    onAvailable(store) {
      if (store.consumers.length === 0) return;
      pending.add(store);
      if (!pumpScheduled) {
        pumpScheduled = true;
        // Coalesce: a batch of 100 messages triggers one pump, after rhea has read the whole frame.
        queueMicrotask(() => {
          pumpScheduled = false;
          const stores = [...pending];
          pending.clear();
          for (const s of stores) pump(s);
        });
      }
    },
  });

  if (options.dataFolder) {
    persistence = await BrokerPersistence.open(registry, {
      dataFolder: options.dataFolder,
      compactAfterBytes: options.compactJournalAfterBytes,
      log,
    });
  }
  /**
   * With --data, what changed state is acknowledged only once it is on disk (group commit); when the
   * journal cannot be written, `refuse` answers instead (an error to the client, never a false success).
   */
  const whenDurable = (acknowledge: () => void, refuse: (error: Error) => void): void => {
    const safely = (error?: Error): void => {
      try {
        if (error) refuse(error);
        else acknowledge();
      } catch (err: unknown) {
        log(`acknowledgement after commit failed: ${ensureError(err).message}`);
      }
    };
    if (persistence) persistence.afterCommit(safely);
    else acknowledge();
  };
  const journalFailure = (error: Error): string =>
    `the broker could not write its --data journal, so the operation is not durable: ${error.message}`;

  const deliveries = new WeakMap<rhea.Delivery, DeliveryRecord>();

  /**
   * Operations as Service Bus bills them (each send, receive and settlement of a message up to 64 KB is one
   * operation; management requests too), counted so a run can price itself: GET /operations.
   */
  const operations = { sent: 0, delivered: 0, settled: 0, management: 0 };
  const consumersBySender = new WeakMap<rhea.Sender, Consumer>();
  const consumersByConnection = new Map<rhea.Connection, Set<Consumer>>();
  const receiverTargets = new WeakMap<rhea.Receiver, ReceiverTarget>();
  const replyLinks = new WeakMap<rhea.Session, Map<string, rhea.Sender>>();

  const container = create_container({
    id: 'triage-local-servicebus',
    receiver_options: { autoaccept: false, credit_window: 500 },
    sender_options: { treat_modified_as_released: false },
  } as rhea.ContainerOptions);

  // ---- delivery ------------------------------------------------------------------------------

  /** How many more deliveries the receiver's credit allows, counting ones queued but not yet written. */
  function budget(sender: rhea.Sender): number {
    if (!sender.is_open()) return 0;
    const outgoing = (sender.session as unknown as SessionInternals).outgoing;
    const unsent = outgoing.next_delivery_id - outgoing.next_pending_delivery;
    return Math.min((sender as unknown as SenderInternals).credit - unsent, outgoing.available());
  }

  function pump(store: MessageStore): void {
    const consumers = store.consumers as Consumer[];
    if (consumers.length === 0 || !store.hasReady) return;
    const now = Date.now();
    let idle = 0;
    while (idle < consumers.length) {
      store.consumerCursor = (store.consumerCursor + 1) % consumers.length;
      const consumer = consumers[store.consumerCursor] as Consumer;
      if (budget(consumer.sender) <= 0) {
        idle++;
        continue;
      }
      const stored = store.takeNext(now);
      if (!stored) return;
      deliver(consumer, stored, now);
      idle = 0;
    }
  }

  function deliver(consumer: Consumer, stored: StoredMessage, now: number): void {
    operations.delivered++;
    const { store, sender } = consumer;
    if (consumer.receiveAndDelete) {
      const payload = encodeStored(stored, undefined);
      store.remove(stored);
      sender.send(payload as unknown as rhea.Message, randomBytes(16), 0);
      return;
    }
    const token = newLockToken();
    store.lock(stored, token.text, now);
    const payload = encodeStored(stored, stored.lockedUntil);
    const delivery = sender.send(payload as unknown as rhea.Message, token.deliveryTag, 0);
    deliveries.set(delivery, { store, stored, token: token.text });
  }

  function encodeStored(stored: StoredMessage, lockedUntil: number | undefined): Buffer {
    const annotations: Record<string, unknown> = {
      ...stored.message.message_annotations,
      'x-opt-sequence-number': amqpTypes.wrap_long(stored.seq),
      'x-opt-enqueued-time': new Date(stored.enqueuedAt),
    };
    if (lockedUntil !== undefined) annotations['x-opt-locked-until'] = new Date(lockedUntil);
    if (stored.scheduledAt > 0) annotations['x-opt-scheduled-enqueue-time'] = new Date(stored.scheduledAt);
    if (stored.state === 'deferred' || (stored.deferred && stored.state === 'locked')) {
      annotations['x-opt-message-state'] = amqpTypes.wrap_int(1);
    } else if (stored.state === 'scheduled') {
      annotations['x-opt-message-state'] = amqpTypes.wrap_int(2);
    }
    const message = {
      ...stored.message,
      delivery_count: stored.deliveryCount,
      message_annotations: annotations,
    };
    delete message.delivery_annotations;
    return amqpMessage.encode(message);
  }

  // ---- settlement on the link ----------------------------------------------------------------

  /**
   * Settles on the broker's side. In settle mode "second" the client never settles after the
   * broker, so the delivery is marked done here or rhea's session buffer (2048) would fill up.
   */
  function finish(delivery: rhea.Delivery, state: unknown): void {
    delivery.update(true, state as never);
    (delivery as unknown as { remote_settled: boolean }).remote_settled = true;
  }

  function settleFromLink(
    kind: 'accepted' | 'released' | 'modified' | 'rejected',
    delivery: rhea.Delivery,
  ): void {
    operations.settled++;
    const record = deliveries.get(delivery);
    deliveries.delete(delivery);
    if (!record) {
      finish(delivery, accepted());
      return;
    }
    const { store, stored, token } = record;
    if (stored.lockToken !== token) {
      finish(
        delivery,
        rejected({
          condition: 'com.microsoft:message-lock-lost',
          description: `The lock supplied is invalid: it expired or the message was already settled (sequence number ${stored.seq}).`,
        }),
      );
      return;
    }
    const state = (delivery.remote_state ?? {}) as OutcomeState;
    if (kind === 'rejected' && store.isDeadLetter) {
      store.releaseLock(stored);
      finish(
        delivery,
        rejected({ condition: 'amqp:not-allowed', description: MessageStore.deadLetterRefusal }),
      );
      return;
    }
    applyDisposition(store, stored, kind, state);
    finish(delivery, accepted());
  }

  function applyDisposition(
    store: MessageStore,
    stored: StoredMessage,
    kind: 'accepted' | 'released' | 'modified' | 'rejected',
    state: OutcomeState,
  ): void {
    switch (kind) {
      case 'accepted':
        if (faults.redeliverCompletedOnce && !stored.faultRedelivered) store.redeliverAfterCompletion(stored);
        else store.remove(stored);
        return;
      case 'released':
        store.abandon(stored);
        return;
      case 'modified': {
        const properties = plainMap(state.message_annotations);
        if (state.undeliverable_here) store.defer(stored, properties);
        else store.abandon(stored, properties);
        return;
      }
      case 'rejected': {
        const info = plainMap(state.error?.info) ?? {};
        const { DeadLetterReason, DeadLetterErrorDescription, ...rest } = info;
        store.deadLetterMessage(
          stored,
          DeadLetterReason === undefined || DeadLetterReason === null ? undefined : String(DeadLetterReason),
          DeadLetterErrorDescription === undefined || DeadLetterErrorDescription === null
            ? undefined
            : String(DeadLetterErrorDescription),
          rest,
        );
        return;
      }
    }
  }

  // ---- links ---------------------------------------------------------------------------------

  function onSenderOpen(sender: rhea.Sender): void {
    const source = (sender.source as { address?: string } | undefined)?.address ?? '';
    const remote = (
      sender as unknown as {
        remote: { attach: { snd_settle_mode?: number; rcv_settle_mode?: number; target?: unknown } };
      }
    ).remote.attach;
    const attach = (sender as unknown as { local: { attach: Record<string, unknown> } }).local.attach;
    attach.snd_settle_mode = remote.snd_settle_mode ?? 0;
    attach.rcv_settle_mode = remote.rcv_settle_mode ?? 0;
    sender.set_source({ address: source });
    if (remote.target) sender.set_target(remote.target as rhea.TerminusOptions);

    if (source === '$cbs' || source.endsWith(MANAGEMENT_SUFFIX)) {
      let links = replyLinks.get(sender.session);
      if (!links) {
        links = new Map();
        replyLinks.set(sender.session, links);
      }
      links.set(source, sender);
      return;
    }
    const store = registry.store(source);
    if (!store) {
      refuse(sender, source);
      return;
    }
    const filter = (sender.source as { filter?: Record<string, unknown> } | undefined)?.filter;
    if (filter && Object.keys(filter).some((key) => key === SESSION_FILTER)) {
      log(`refused a session receiver on ${store.path}: sessions are not supported`);
      sender.close({ condition: 'amqp:not-implemented', description: sessionsNotSupported });
      return;
    }
    installDrainHandling(sender);
    const consumer: Consumer = {
      sender,
      store,
      receiveAndDelete: remote.snd_settle_mode === 1,
      connection: sender.connection,
    };
    (store.consumers as Consumer[]).push(consumer);
    consumersBySender.set(sender, consumer);
    let set = consumersByConnection.get(sender.connection);
    if (!set) {
      set = new Set();
      consumersByConnection.set(sender.connection, set);
    }
    set.add(consumer);
    log(
      `receiver attached to ${store.path} (${consumer.receiveAndDelete ? 'receiveAndDelete' : 'peekLock'})`,
    );
  }

  /**
   * rhea answers a drain only while credit remains; the SDK waits for the drained flow even when
   * the last credit was just used, so the broker answers every drain once and then stops.
   */
  function installDrainHandling(sender: rhea.Sender): void {
    const internals = sender as unknown as SenderInternals;
    internals._get_drain = function getDrain(this: SenderInternals): boolean {
      if (this._draining && this._drained) {
        this.delivery_count += this.credit;
        this.credit = 0;
        this._drained = false;
        return true;
      }
      return false;
    };
  }

  function removeConsumer(consumer: Consumer): void {
    const list = consumer.store.consumers as Consumer[];
    const index = list.indexOf(consumer);
    if (index >= 0) list.splice(index, 1);
    consumersBySender.delete(consumer.sender);
    consumersByConnection.get(consumer.connection)?.delete(consumer);
  }

  function onReceiverOpen(receiver: rhea.Receiver): void {
    const target = (receiver.target as { address?: string } | undefined)?.address ?? '';
    const remote = (
      receiver as unknown as { remote: { attach: { snd_settle_mode?: number; source?: unknown } } }
    ).remote.attach;
    const attach = (receiver as unknown as { local: { attach: Record<string, unknown> } }).local.attach;
    attach.snd_settle_mode = remote.snd_settle_mode ?? 0;
    attach.rcv_settle_mode = 0;
    attach.max_message_size = maxMessageSize;
    receiver.set_target({ address: target });
    if (remote.source) receiver.set_source(remote.source as rhea.Source);
    if (target === '$cbs') {
      receiverTargets.set(receiver, { kind: 'cbs' });
      return;
    }
    if (target.endsWith(MANAGEMENT_SUFFIX)) {
      receiverTargets.set(receiver, {
        kind: 'management',
        entityPath: target.slice(0, -MANAGEMENT_SUFFIX.length),
      });
      return;
    }
    const entity = registry.sendEntity(target);
    if (!entity) {
      refuse(receiver, target);
      return;
    }
    receiverTargets.set(receiver, { kind: 'entity', entity });
  }

  function refuse(link: rhea.Sender | rhea.Receiver, address: string): void {
    log(`refused link to unknown entity "${address}"`);
    link.close({
      condition: 'amqp:not-found',
      description: `The messaging entity '${address}' could not be found.`,
    });
  }

  // ---- incoming messages ---------------------------------------------------------------------

  function onMessage(context: rhea.EventContext): void {
    const receiver = context.receiver;
    const delivery = context.delivery;
    if (!receiver || !delivery) return;
    const target = receiverTargets.get(receiver);
    if (!target) {
      delivery.reject({ condition: 'amqp:not-found', description: 'unknown link target' });
      return;
    }
    if (target.kind === 'cbs' || target.kind === 'management') {
      const request = context.message;
      if (target.kind === 'management') operations.management++;
      delivery.accept();
      if (!request) return;
      const reply = target.kind === 'cbs' ? cbsReply() : management(target.entityPath, request);
      whenDurable(
        () => sendReply(receiver, request, reply),
        (error) =>
          sendReply(receiver, request, {
            status: 500,
            condition: 'amqp:internal-error',
            description: journalFailure(error),
          }),
      );
      return;
    }
    const format = (context as unknown as { format?: number }).format ?? 0;
    let messages: rhea.Message[];
    let size: number;
    if (format === BATCH_FORMAT) {
      const raw = context.message as unknown as Buffer;
      size = raw.length;
      messages = size > maxMessageSize ? [] : decodeBatch(raw);
    } else if (format === 0 && context.message) {
      messages = [context.message];
      size = amqpMessage.encode(context.message).length;
    } else {
      delivery.reject({
        condition: 'amqp:not-implemented',
        description: `message format ${format} is not supported`,
      });
      return;
    }
    if (size > maxMessageSize) {
      delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description: `The message of ${size} bytes exceeds the limit of ${maxMessageSize} bytes.`,
      });
      return;
    }
    const now = Date.now();
    operations.sent += messages.length;
    for (const message of messages) target.entity.send(message, now);
    whenDurable(
      () => delivery.accept(),
      (error) => delivery.reject({ condition: 'amqp:internal-error', description: journalFailure(error) }),
    );
  }

  function decodeBatch(raw: Buffer): rhea.Message[] {
    const outer = amqpMessage.decode(raw) as unknown as rhea.Message;
    const body = outer.body as { typecode?: number; content?: unknown; multiple?: boolean } | undefined;
    if (!body || body.typecode !== 0x75) throw new TypeError('a batch message must carry data sections');
    const parts = (body.multiple ? body.content : [body.content]) as Buffer[];
    return parts.map((part) => amqpMessage.decode(part) as unknown as rhea.Message);
  }

  function cbsReply(): ManagementReply {
    return { status: 200, description: 'OK' };
  }

  function sendReply(receiver: rhea.Receiver, request: rhea.Message, reply: ManagementReply): void {
    const requestTarget = (receiver.target as { address?: string } | undefined)?.address ?? '';
    const links = replyLinks.get(receiver.session);
    const replyTo = typeof request.reply_to === 'string' ? request.reply_to : undefined;
    const sender = (replyTo !== undefined ? links?.get(replyTo) : undefined) ?? links?.get(requestTarget);
    if (!sender || !sender.is_open()) {
      log(`no reply link for a request to ${requestTarget}`);
      return;
    }
    const properties: Record<string, unknown> = {
      'status-code': reply.status,
      statusCode: reply.status,
      'status-description': reply.description ?? '',
      statusDescription: reply.description ?? '',
    };
    if (reply.condition) {
      properties['error-condition'] = reply.condition;
      properties.errorCondition = reply.condition;
    }
    sender.send({
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: properties,
      body: reply.body ?? null,
    });
  }

  // ---- $management ---------------------------------------------------------------------------

  function management(entityPath: string, request: rhea.Message): ManagementReply {
    const operation = String(request.application_properties?.operation ?? '');
    const body = (request.body ?? {}) as Record<string, unknown>;
    log(`management ${operation.replace('com.microsoft:', '')} on ${entityPath}`);
    try {
      switch (operation) {
        case 'com.microsoft:peek-message':
          return peekMessages(needStore(entityPath), body);
        case 'com.microsoft:renew-lock':
          return renewLocks(needStore(entityPath), body);
        case 'com.microsoft:schedule-message':
          return scheduleMessages(needSendEntity(entityPath), body);
        case 'com.microsoft:cancel-scheduled-message': {
          const entity = needSendEntity(entityPath);
          for (const seq of asArray(body['sequence-numbers'])) entity.cancelScheduled(asNumber(seq));
          return { status: 200, body: {} };
        }
        case 'com.microsoft:receive-by-sequence-number':
          return receiveBySequenceNumber(needStore(entityPath), body);
        case 'com.microsoft:update-disposition':
          return updateDisposition(needStore(entityPath), body);
        default:
          return {
            status: 501,
            condition: 'amqp:not-implemented',
            description: sessionOperations.has(operation)
              ? sessionsNotSupported
              : `operation "${operation}" is not supported by the local broker`,
          };
      }
    } catch (err: unknown) {
      if (err instanceof ManagementError)
        return { status: err.status, condition: err.condition, description: err.message };
      const error = ensureError(err);
      log(`management ${operation} on ${entityPath} failed: ${error.message}`);
      return { status: 500, condition: 'amqp:internal-error', description: error.message };
    }
  }

  function needStore(path: string): MessageStore {
    const store = registry.store(path);
    if (!store)
      throw new ManagementError(404, 'amqp:not-found', `The messaging entity '${path}' could not be found.`);
    return store;
  }

  function needSendEntity(path: string): SendEntity {
    const entity = registry.sendEntity(path);
    if (!entity)
      throw new ManagementError(404, 'amqp:not-found', `The messaging entity '${path}' could not be found.`);
    return entity;
  }

  function peekMessages(store: MessageStore, body: Record<string, unknown>): ManagementReply {
    const from = asNumber(body['from-sequence-number'] ?? 1);
    const count = asNumber(body['message-count'] ?? 1);
    const found = store.peek(from, count);
    if (found.length === 0) return { status: 204, description: 'No messages' };
    return {
      status: 200,
      body: { messages: found.map((stored) => ({ message: encodeStored(stored, undefined) })) },
    };
  }

  function renewLocks(store: MessageStore, body: Record<string, unknown>): ManagementReply {
    const now = Date.now();
    const expirations = asArray(body['lock-tokens']).map((token) => {
      const until = store.renewLock(tokenText(token), now);
      if (until === undefined) throw lockLost();
      return new Date(until);
    });
    return { status: 200, body: { expirations } };
  }

  function scheduleMessages(entity: SendEntity, body: Record<string, unknown>): ManagementReply {
    const now = Date.now();
    const sequenceNumbers = asArray(body.messages).map((entry) => {
      const encoded = (entry as { message?: unknown }).message;
      if (!Buffer.isBuffer(encoded))
        throw new ManagementError(400, 'amqp:invalid-field', 'schedule entry without message');
      const message = amqpMessage.decode(encoded) as unknown as rhea.Message;
      const at = message.message_annotations?.['x-opt-scheduled-enqueue-time'] as unknown;
      const time = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : now;
      return entity.schedule(message, time, now);
    });
    return { status: 200, body: { 'sequence-numbers': sequenceNumbers } };
  }

  function receiveBySequenceNumber(store: MessageStore, body: Record<string, unknown>): ManagementReply {
    const now = Date.now();
    const receiveAndDelete = asNumber(body['receiver-settle-mode'] ?? 1) === 0;
    const found = asArray(body['sequence-numbers']).map((value) => {
      const seq = asNumber(value);
      const stored = store.messages.get(seq);
      if (!stored || stored.state !== 'deferred') {
        throw new ManagementError(
          404,
          'com.microsoft:message-not-found',
          `Failed to retrieve deferred message with sequence number ${seq}.`,
        );
      }
      return stored;
    });
    const messages = found.map((stored) => {
      if (receiveAndDelete) {
        const message = encodeStored(stored, undefined);
        store.remove(stored);
        return { message };
      }
      const token = newLockToken();
      store.lock(stored, token.text, now);
      return {
        message: encodeStored(stored, stored.lockedUntil),
        'lock-token': amqpTypes.wrap_uuid(token.rfcBytes),
      };
    });
    return { status: 200, body: { messages } };
  }

  function updateDisposition(store: MessageStore, body: Record<string, unknown>): ManagementReply {
    const status = String(body['disposition-status'] ?? '');
    const properties = plainMap(body['properties-to-modify']);
    for (const token of asArray(body['lock-tokens'])) {
      const stored = store.locks.get(tokenText(token));
      if (!stored) throw lockLost();
      switch (status) {
        case 'completed':
          applyDisposition(store, stored, 'accepted', {});
          break;
        case 'abandoned':
          store.abandon(stored, properties);
          break;
        case 'defered':
        case 'deferred':
          store.defer(stored, properties);
          break;
        case 'suspended': {
          if (store.isDeadLetter) {
            store.releaseLock(stored);
            throw new ManagementError(400, 'amqp:not-allowed', MessageStore.deadLetterRefusal);
          }
          const reason = body['deadletter-reason'];
          const description = body['deadletter-description'];
          store.deadLetterMessage(
            stored,
            reason === undefined ? undefined : String(reason),
            description === undefined ? undefined : String(description),
            properties,
          );
          break;
        }
        default:
          throw new ManagementError(400, 'amqp:invalid-field', `unknown disposition status "${status}"`);
      }
    }
    return { status: 200, body: {} };
  }

  function lockLost(): ManagementError {
    return new ManagementError(
      410,
      'com.microsoft:message-lock-lost',
      'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
    );
  }

  // ---- container events ------------------------------------------------------------------------

  /** Runs a handler so that a bug or a hostile peer can only ever cost its own connection. */
  function guarded<T extends unknown[]>(what: string, handler: (...args: T) => void): (...args: T) => void {
    return (...args: T) => {
      try {
        handler(...args);
      } catch (err: unknown) {
        log(`${what} failed: ${ensureError(err).message}`);
      }
    };
  }

  container.on(
    'sender_open',
    guarded('sender_open', (context: rhea.EventContext) => context.sender && onSenderOpen(context.sender)),
  );
  container.on(
    'receiver_open',
    guarded(
      'receiver_open',
      (context: rhea.EventContext) => context.receiver && onReceiverOpen(context.receiver),
    ),
  );
  container.on(
    'message',
    guarded('message', (context: rhea.EventContext) => {
      try {
        onMessage(context);
      } catch (err: unknown) {
        context.delivery?.reject({ condition: 'amqp:decode-error', description: ensureError(err).message });
        throw err;
      }
    }),
  );
  for (const kind of ['accepted', 'released', 'modified', 'rejected'] as const) {
    container.on(
      kind,
      guarded(kind, (context: rhea.EventContext) => {
        if (context.delivery) settleFromLink(kind, context.delivery);
      }),
    );
  }
  container.on(
    'sendable',
    guarded('sendable', (context: rhea.EventContext) => {
      const consumer = context.sender && consumersBySender.get(context.sender);
      if (consumer) pump(consumer.store);
    }),
  );
  container.on(
    'sender_draining',
    guarded('sender_draining', (context: rhea.EventContext) => {
      const sender = context.sender;
      if (!sender) return;
      const consumer = consumersBySender.get(sender);
      if (consumer) pump(consumer.store);
      sender.set_drained(true);
    }),
  );
  const dropSender = guarded('sender_close', (context: rhea.EventContext) => {
    const consumer = context.sender && consumersBySender.get(context.sender);
    if (consumer) removeConsumer(consumer);
  });
  container.on('sender_close', dropSender);
  container.on('sender_error', dropSender);
  container.on('receiver_close', () => undefined);
  container.on('receiver_error', () => undefined);
  container.on('session_error', () => undefined);
  container.on('session_close', () => undefined);
  const dropConnection = guarded('disconnected', (context: rhea.EventContext) => {
    const set = consumersByConnection.get(context.connection);
    if (!set) return;
    for (const consumer of [...set]) removeConsumer(consumer);
    consumersByConnection.delete(context.connection);
  });
  container.on('disconnected', dropConnection);
  container.on('connection_close', dropConnection);
  container.on('connection_error', () => undefined);
  container.on('protocol_error', (error: unknown) => log(`protocol error: ${ensureError(error).message}`));
  container.on('error', (error: unknown) => log(`connection error: ${ensureError(error).message}`));

  // ---- servers ---------------------------------------------------------------------------------

  const sockets = new Set<net.Socket>();
  let warnedAboutTls = false;
  const amqpServer = net.createServer((socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset from a misbehaving client must not surface as an unhandled 'error'.
    socket.on('error', () => undefined);
    // Look at the first bytes before rhea does: the SDK's ServiceBusAdministrationClient speaks HTTPS
    // (ATOM) to this same address, and without an answer it retries its TLS handshake for seconds.
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first[0] === TLS_HANDSHAKE_RECORD) {
        if (!warnedAboutTls) {
          warnedAboutTls = true;
          log(`a TLS client (HTTPS or AMQPS) connected to the AMQP port and was refused: ${tlsNotSupported}`);
        }
        socket.end(TLS_ALERT_NO_APPLICATION_PROTOCOL);
        return;
      }
      if (/^[A-Z]{3,7} \//.test(first.toString('latin1', 0, 9))) {
        socket.end(
          `HTTP/1.1 501 Not Implemented\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${tlsNotSupported}\n`,
        );
        return;
      }
      socket.unshift(first);
      (
        container.create_connection({} as rhea.ConnectionOptions) as unknown as {
          accept(s: net.Socket): void;
        }
      ).accept(socket);
      socket.resume();
    });
  });
  amqpServer.listen(requestedPort, host);
  const port = await listening(amqpServer, requestedPort, '--port');

  let metricsServer: http.Server | null = null;
  let metricsPort: number | null = null;
  if (options.metricsPort !== null) {
    metricsServer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/entities') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(registry.counts()));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/operations') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(operations));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found: GET /entities and GET /operations are the endpoints' }));
    });
    const requestedMetricsPort = options.metricsPort ?? 0;
    metricsServer.listen(requestedMetricsPort, host);
    try {
      metricsPort = await listening(metricsServer, requestedMetricsPort, '--metrics-port');
    } catch (err: unknown) {
      amqpServer.close();
      throw err;
    }
  }

  const timer = setInterval(
    guarded('tick', () => registry.tick(Date.now())),
    TICK_INTERVAL_MS,
  );
  timer.unref();

  log(`broker ready: amqp port ${port}, metrics port ${metricsPort ?? 'disabled'}`);

  let closed: Promise<void> | undefined;
  return {
    port,
    metricsPort,
    connectionString: localServiceBusConnectionString(port),
    metricsUrl: metricsPort === null ? null : `http://${host}:${metricsPort}/entities`,
    entityCounts: () => registry.counts(),
    dropConnections() {
      const cut = sockets.size;
      for (const socket of sockets) socket.destroy();
      return cut;
    },
    close() {
      closed ??= (async () => {
        clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        await persistence?.close();
        await Promise.all([
          new Promise<void>((resolve) => amqpServer.close(() => resolve())),
          metricsServer
            ? new Promise<void>((resolve) => {
                metricsServer?.closeAllConnections();
                metricsServer?.close(() => resolve());
              })
            : Promise.resolve(),
        ]);
      })();
      return closed;
    },
  };
}

/** Resolves with the bound port; rejects naming the port and the CLI option that moves it. */
function listening(server: net.Server, requested: number, option: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${requested} is already in use; pass ${option} <another port> (or 0 for a free one)`
            : `port ${requested} cannot be used: ${err.message}`,
        ),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : requested);
    };
    if (server.listening) {
      onListening();
      return;
    }
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null) return [];
  return [value];
}

/** A long as rhea decodes it: a number, or 8 big-endian bytes when outside the safe range. */
function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  if (value && typeof value === 'object' && 'value' in value)
    return asNumber((value as { value: unknown }).value);
  throw new ManagementError(400, 'amqp:invalid-field', `expected a number, got ${String(value)}`);
}

function tokenText(value: unknown): string {
  if (Buffer.isBuffer(value) && value.length === 16) return uuidBytesToText(value);
  if (typeof value === 'string') return value.toLowerCase();
  throw new ManagementError(400, 'amqp:invalid-field', 'lock tokens must be UUIDs');
}

/** Converts an AMQP map (typed or already plain) to a plain object; undefined when absent. */
function plainMap(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  const unwrapped: unknown = amqpTypes.unwrap(value as never);
  if (
    unwrapped &&
    typeof unwrapped === 'object' &&
    !Array.isArray(unwrapped) &&
    !Buffer.isBuffer(unwrapped)
  ) {
    const result = unwrapped as Record<string, unknown>;
    return Object.keys(result).length === 0 ? undefined : result;
  }
  return undefined;
}
