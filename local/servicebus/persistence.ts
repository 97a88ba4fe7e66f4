/**
 * `--data <folder>` for the broker: every message (active, deferred, scheduled, dead-lettered), the
 * duplicate-detection windows and topic schedules go to a journal (journal.ts) and come back on the
 * next start. Locks do not survive a restart: a message that was locked is redelivered with one more
 * delivery count, as after a lock expiry. Without a folder nothing here runs and the broker keeps its
 * state in memory only.
 */
import path from 'node:path';
import type { Message } from 'rhea';
import { message as amqpMessage } from 'rhea';
import type {
  EntityRegistry,
  MessageStore,
  RestoredMessage,
  SendEntity,
  StoredMessage,
  StoreHooks,
} from './entities';
import { Journal, type JournalRecord } from './journal';

export interface PersistenceOptions {
  /** The `--data` folder; the broker's files go to its `servicebus/` sub-folder. */
  dataFolder: string;
  compactAfterBytes?: number;
  log?: (line: string) => void;
}

type PersistHooks = Required<Pick<StoreHooks, 'onPersist' | 'onDuplicateId' | 'onTopicSchedule'>>;

const encodeMessage = (message: Message): Buffer => amqpMessage.encode(message);
const decodeMessage = (payload: Buffer): Message => amqpMessage.decode(payload) as unknown as Message;

function messageRecord(
  store: MessageStore,
  stored: StoredMessage,
  encoded: (m: Message) => Buffer,
): JournalRecord {
  if (stored.state === 'gone') return { header: { o: 'x', s: store.path, q: stored.seq } };
  const header = {
    o: 'm',
    s: store.path,
    q: stored.seq,
    e: stored.enqueuedAt,
    x: Number.isFinite(stored.expiresAt) ? stored.expiresAt : null,
    a: stored.scheduledAt,
    c: stored.deliveryCount,
    t: stored.state,
    d: stored.deferred ? 1 : 0,
  };
  if (!stored.messageChanged) return { header };
  stored.messageChanged = false;
  return { header, payload: encoded(stored.message) };
}

/** The broker's persistence: hooks for the entity model, durability for acknowledgements. */
export class BrokerPersistence {
  readonly #journal: Journal;
  /** A topic's copies share one message object: encode it once per batch. */
  #encodedCache = new WeakMap<Message, Buffer>();

  private constructor(journal: Journal) {
    this.#journal = journal;
  }

  /** Hooks to hand to the EntityRegistry; they forward to the persistence once it is open. */
  static hooks(target: () => BrokerPersistence | undefined): PersistHooks {
    return {
      onPersist: (store, stored) =>
        target()?.record(messageRecord(store, stored, (m) => target()?.encode(m) ?? encodeMessage(m))),
      onDuplicateId: (entity, id, until) =>
        target()?.record({ header: { o: 'i', t: entity.path, i: id, u: until } }),
      onTopicSchedule: (entity, seq, at, message) =>
        target()?.record(
          message
            ? { header: { o: 'ts', t: entity.path, q: seq, a: at }, payload: encodeMessage(message) }
            : { header: { o: 'tx', t: entity.path, q: seq } },
        ),
    };
  }

  /**
   * Opens the folder, restores the registry from it, and compacts what it read into a fresh snapshot.
   * @throws Error when the folder cannot be read or written.
   */
  static async open(registry: EntityRegistry, options: PersistenceOptions): Promise<BrokerPersistence> {
    const folder = path.join(path.resolve(options.dataFolder), 'servicebus');
    const { journal, records } = Journal.open({
      folder,
      compactAfterBytes: options.compactAfterBytes,
      snapshot: () => snapshotRecords(registry),
      log: options.log,
    });
    const restored = restore(registry, records, options.log);
    const persistence = new BrokerPersistence(journal);
    if (records.length > 0) {
      await journal.compact();
      options.log?.(
        `restored ${restored.messages} messages, ${restored.ids} duplicate-detection ids and ${restored.schedules} topic schedules from ${folder}`,
      );
    }
    return persistence;
  }

  record(record: JournalRecord): void {
    this.#journal.append(record);
  }

  encode(message: Message): Buffer {
    let encoded = this.#encodedCache.get(message);
    if (!encoded) {
      encoded = encodeMessage(message);
      this.#encodedCache.set(message, encoded);
    }
    return encoded;
  }

  /** Runs `done` once everything recorded so far is on disk (a send is acknowledged only then), or with the write error. */
  afterCommit(done: (error?: Error) => void): void {
    this.#journal.afterCommit(done);
  }

  async close(): Promise<void> {
    await this.#journal.close();
    this.#encodedCache = new WeakMap();
  }
}

function snapshotRecords(registry: EntityRegistry): JournalRecord[] {
  const records: JournalRecord[] = [];
  const encode = (m: Message): Buffer => encodeMessage(m);
  for (const entity of registry.sendEntities.values()) {
    records.push({ header: { o: 'n', t: entity.path, n: entity.nextSequenceNumber } });
    const state = entity.snapshotState();
    for (const [id, until] of state.recentIds)
      records.push({ header: { o: 'i', t: entity.path, i: id, u: until } });
    for (const schedule of state.scheduled) {
      records.push({
        header: { o: 'ts', t: entity.path, q: schedule.seq, a: schedule.at },
        payload: encode(schedule.message),
      });
    }
  }
  for (const store of registry.stores.values()) {
    records.push({ header: { o: 'n', s: store.path, n: store.nextSequenceNumber } });
    for (const stored of store.snapshotMessages()) {
      stored.messageChanged = true;
      records.push(messageRecord(store, stored, encode));
    }
  }
  return records;
}

function restore(
  registry: EntityRegistry,
  records: JournalRecord[],
  log: ((line: string) => void) | undefined,
): { messages: number; ids: number; schedules: number } {
  const unknown = new Set<string>();
  const storeOf = (path: unknown): MessageStore | undefined => {
    const store = registry.store(String(path));
    if (!store) unknown.add(String(path));
    return store;
  };
  const entityOf = (path: unknown): SendEntity | undefined => {
    const entity = registry.sendEntity(String(path));
    if (!entity) unknown.add(String(path));
    return entity;
  };
  for (const { header: h, payload } of records) {
    switch (h.o) {
      case 'm': {
        const fields: RestoredMessage = {
          seq: Number(h.q),
          enqueuedAt: Number(h.e),
          expiresAt: h.x === null ? Number.POSITIVE_INFINITY : Number(h.x),
          scheduledAt: Number(h.a),
          deliveryCount: Number(h.c),
          state: h.t as RestoredMessage['state'],
          deferred: h.d === 1,
        };
        storeOf(h.s)?.restore(fields, payload ? decodeMessage(payload) : undefined);
        break;
      }
      case 'x':
        storeOf(h.s)?.restoreRemoval(Number(h.q));
        break;
      case 'i':
        entityOf(h.t)?.restoreDuplicateId(String(h.i), Number(h.u));
        break;
      case 'ts':
        entityOf(h.t)?.restoreTopicSchedule(
          Number(h.q),
          Number(h.a),
          payload ? decodeMessage(payload) : undefined,
        );
        break;
      case 'tx':
        entityOf(h.t)?.restoreTopicSchedule(Number(h.q), 0, undefined);
        break;
      case 'n':
        if (h.s !== undefined) {
          const store = storeOf(h.s);
          if (store) store.nextSequenceNumber = Number(h.n);
        } else {
          const entity = entityOf(h.t);
          if (entity) entity.nextSequenceNumber = Number(h.n);
        }
        break;
      default:
        break;
    }
  }
  if (unknown.size > 0) {
    log?.(`ignored saved state of entities that no longer exist: ${[...unknown].join(', ')}`);
  }
  const now = Date.now();
  let messages = 0;
  let schedules = 0;
  let ids = 0;
  for (const entity of registry.sendEntities.values()) {
    // Topic copies share the topic's numbering: continue after the highest one kept anywhere.
    for (const { store } of entity.subscriptions) {
      for (const stored of store.snapshotMessages()) entity.nextSequenceNumber = stored.seq + 1;
    }
    entity.finishRestore(now);
    const state = entity.snapshotState();
    ids += state.recentIds.length;
    schedules += state.scheduled.length;
  }
  for (const store of registry.stores.values()) {
    messages += store.messages.size;
    store.finishRestore();
  }
  return { messages, ids, schedules };
}
