/**
 * The broker's crash-safe store for `--data <folder>`: an append-only journal of physical records
 * (each message's latest state, deletions, duplicate-detection ids, topic schedules) written with
 * group commit — many records, one `write` + `fdatasync` — plus a snapshot that compacts it.
 *
 * Files in the folder:
 * - `journal.bin`: frames `[u32 length][u32 crc32][u16 header length][header JSON][payload]`, appended.
 *   A torn or corrupt frame ends the replay there (and is cut off): everything before it is intact.
 * - `snapshot.bin`: the same frames for the whole state at one moment, written to `snapshot.tmp`,
 *   fsynced and renamed over the old one, after which the journal is truncated. A crash between the
 *   rename and the truncation is harmless: records are latest-state upserts and deletions, so
 *   replaying an already-covered journal over the snapshot converges on the same state.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  ftruncateSync,
} from 'node:fs';
import { fdatasync, write } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** One record: a small JSON header and, for messages, the AMQP-encoded message. */
export interface JournalRecord {
  header: Record<string, unknown>;
  payload?: Buffer;
}

const crc32: (data: Buffer) => number =
  (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32 ??
  (() => {
    throw new Error('the broker journal needs Node.js 20.15 or later (zlib.crc32)');
  });

/** Encodes one record as a frame. */
export function encodeFrame(record: JournalRecord): Buffer {
  const header = Buffer.from(JSON.stringify(record.header), 'utf8');
  const payload = record.payload ?? Buffer.alloc(0);
  const body = Buffer.allocUnsafe(2 + header.length + payload.length);
  body.writeUInt16BE(header.length, 0);
  header.copy(body, 2);
  payload.copy(body, 2 + header.length);
  const frame = Buffer.allocUnsafe(8 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt32BE(crc32(body) >>> 0, 4);
  body.copy(frame, 8);
  return frame;
}

/** Decodes frames until the end or the first torn/corrupt one; `validLength` is where good data ends. */
export function decodeFrames(data: Buffer): { records: JournalRecord[]; validLength: number } {
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const length = data.readUInt32BE(offset);
    const crc = data.readUInt32BE(offset + 4);
    if (length < 2 || offset + 8 + length > data.length) break;
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (crc32(body) >>> 0 !== crc) break;
    const headerLength = body.readUInt16BE(0);
    if (2 + headerLength > body.length) break;
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(body.subarray(2, 2 + headerLength).toString('utf8')) as Record<string, unknown>;
    } catch {
      break;
    }
    const payload = body.subarray(2 + headerLength);
    records.push(payload.length > 0 ? { header, payload: Buffer.from(payload) } : { header });
    offset += 8 + length;
  }
  return { records, validLength: offset };
}

export interface JournalOptions {
  folder: string;
  /** Compact once the journal grows past max(this, 2 × the last snapshot). Default 64 MB. */
  compactAfterBytes?: number;
  /** Serialises the whole current state (for snapshots). */
  snapshot: () => JournalRecord[];
  log?: (line: string) => void;
}

/** An open journal: append records, and learn when they are durable. */
export class Journal {
  readonly #options: JournalOptions;
  readonly #journalPath: string;
  readonly #snapshotPath: string;
  #fd: number;
  #journalBytes: number;
  #snapshotBytes = 0;
  #pending: Buffer[] = [];
  #pendingWaiters: Array<(error?: Error) => void> = [];
  #inflightWaiters: Array<(error?: Error) => void> = [];
  #writing: Promise<void> | undefined;
  #closed = false;
  #failure: Error | undefined;

  private constructor(options: JournalOptions, fd: number, journalBytes: number) {
    this.#options = options;
    this.#journalPath = path.join(options.folder, 'journal.bin');
    this.#snapshotPath = path.join(options.folder, 'snapshot.bin');
    this.#fd = fd;
    this.#journalBytes = journalBytes;
  }

  /**
   * Opens (or creates) the folder and reads back what it holds: the snapshot's records, then the
   * journal's, in order. A torn tail of the journal is cut off.
   * @throws Error when the folder cannot be created or read.
   */
  static open(options: JournalOptions): { journal: Journal; records: JournalRecord[] } {
    mkdirSync(options.folder, { recursive: true });
    const journalPath = path.join(options.folder, 'journal.bin');
    const snapshotPath = path.join(options.folder, 'snapshot.bin');
    const records: JournalRecord[] = [];
    let snapshotBytes = 0;
    if (existsSync(snapshotPath)) {
      const data = readFileSync(snapshotPath);
      snapshotBytes = data.length;
      const decoded = decodeFrames(data);
      if (decoded.validLength !== data.length) {
        options.log?.(
          `snapshot ${snapshotPath} ends in a damaged frame after ${decoded.records.length} records`,
        );
      }
      records.push(...decoded.records);
    }
    let journalBytes = 0;
    if (existsSync(journalPath)) {
      const data = readFileSync(journalPath);
      const decoded = decodeFrames(data);
      records.push(...decoded.records);
      journalBytes = decoded.validLength;
      if (decoded.validLength !== data.length) {
        options.log?.(
          `journal ${journalPath}: cut off a torn tail of ${data.length - decoded.validLength} bytes (a crash mid-write)`,
        );
      }
    }
    const fd = openSync(journalPath, 'a+');
    if (existsSync(journalPath)) ftruncateSync(fd, journalBytes);
    const journal = new Journal(options, fd, journalBytes);
    journal.#snapshotBytes = snapshotBytes;
    return { journal, records };
  }

  /** Queues a record; it is written with the next group commit. */
  append(record: JournalRecord): void {
    if (this.#closed) return;
    this.#pending.push(encodeFrame(record));
    if (!this.#writing) this.#writing = this.#drainSoon();
  }

  /**
   * Calls `done` once every record appended so far is on disk (at once when nothing is outstanding),
   * or with the error when the journal can no longer be written (disk full, folder gone).
   */
  afterCommit(done: (error?: Error) => void): void {
    if (this.#failure) done(this.#failure);
    else if (this.#pending.length > 0) this.#pendingWaiters.push(done);
    else if (this.#writing) this.#inflightWaiters.push(done);
    else done();
  }

  /** Writes a snapshot of the current state now and truncates the journal. */
  async compact(): Promise<void> {
    while (this.#writing) await this.#writing;
    const covered = this.#pendingWaiters;
    this.#pending = [];
    this.#pendingWaiters = [];
    // Appends during the compaction wait for it (they start no write of their own).
    const compaction = this.#compactNow(covered).finally(() => {
      this.#writing = undefined;
      if (this.#pending.length > 0 && !this.#closed) this.#writing = this.#drainSoon();
    });
    this.#writing = compaction;
    await compaction;
  }

  /** Flushes what is pending and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writing;
    this.#closed = true;
    closeSync(this.#fd);
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  async #drainSoon(): Promise<void> {
    // Let the current turn append more (a whole batch of sends is one commit).
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.#pending.length > 0) {
        const batch = Buffer.concat(this.#pending);
        this.#pending = [];
        this.#inflightWaiters = this.#pendingWaiters;
        this.#pendingWaiters = [];
        await writeAsync(this.#fd, batch, 0, batch.length, null);
        await fdatasyncAsync(this.#fd);
        this.#journalBytes += batch.length;
        const waiters = this.#inflightWaiters;
        this.#inflightWaiters = [];
        for (const waiter of waiters) waiter();
        const limit = Math.max(this.#options.compactAfterBytes ?? 64 * 1024 * 1024, 2 * this.#snapshotBytes);
        if (this.#journalBytes > limit) {
          // Records appended meanwhile are already part of the state the snapshot captures.
          const covered = this.#pendingWaiters;
          this.#pending = [];
          this.#pendingWaiters = [];
          await this.#compactNow(covered);
        }
      }
    } catch (err) {
      const failure = err instanceof Error ? err : new Error(String(err));
      this.#failure = failure;
      this.#options.log?.(`journal write failed: ${failure.message}`);
      // Nothing that was waiting is acknowledged as durable: every waiter learns of the failure.
      const waiters = [...this.#inflightWaiters, ...this.#pendingWaiters];
      this.#inflightWaiters = [];
      this.#pendingWaiters = [];
      this.#pending = [];
      for (const waiter of waiters) waiter(failure);
    } finally {
      this.#writing = undefined;
      if (this.#pending.length > 0 && !this.#closed) this.#writing = this.#drainSoon();
    }
  }

  async #compactNow(covered: Array<(error?: Error) => void>): Promise<void> {
    const frames = Buffer.concat([
      encodeFrame({ header: { o: 'snapshot', v: 1, at: Date.now() } }),
      ...this.#options.snapshot().map(encodeFrame),
    ]);
    const temporary = path.join(this.#options.folder, 'snapshot.tmp');
    const fd = openSync(temporary, 'w');
    try {
      await writeAsync(fd, frames, 0, frames.length, null);
      await fdatasyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.#snapshotPath);
    const directory = openSync(this.#options.folder, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
    ftruncateSync(this.#fd, 0);
    await fdatasyncAsync(this.#fd);
    this.#snapshotBytes = frames.length;
    this.#journalBytes = 0;
    for (const waiter of covered) waiter();
  }
}
