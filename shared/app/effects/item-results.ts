import type { ItemRecord } from '../../domain/records';
import type { AppContext } from '../context';

/** Longest a finished item's result waits in memory before it is written. */
const flushIntervalInMs = 200;
/** An entity-group transaction's limit: a full buffer is written at once. */
const transactionSize = 100;

/**
 * Writes a batch's item results as they arrive: in transactions of up to 100, or after 200 ms with fewer,
 * so a crash or a lost lock repeats little work however slow the executor. After each write it checks
 * whether the request was cancelled (cheap, and soon enough to stop what has not started). Writes are
 * chained: a failed one surfaces from `close`, so the message never completes with results unwritten.
 */
export class ItemResultWriter {
  private readonly buffer: ItemRecord[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** Writes started and not settled yet. */
  private writesInFlight = 0;
  private lastFlushMs: number;
  private readonly timer: ReturnType<typeof setInterval>;
  /** Set when a check after a write found the request cancelled. */
  cancelled = false;
  /**
   * Set when a write (or the check after it) failed: Storage is down, so nothing more should run — its
   * result could not be recorded and would only be run again by the next attempt.
   */
  failed = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly requestId: string,
    private readonly batchNumber: number,
  ) {
    this.lastFlushMs = ctx.clock().getTime();
    this.timer = setInterval(() => {
      if (this.buffer.length > 0 && this.ctx.clock().getTime() - this.lastFlushMs >= flushIntervalInMs) {
        void this.flush().catch(() => undefined);
      }
    }, flushIntervalInMs);
  }

  /**
   * Buffers one result; a full buffer is written before this resolves. While a write is in flight, at most
   * twice the item concurrency of results wait behind it: when Storage stalls or goes down, execution stops
   * soon after, instead of running a whole batch whose results cannot be recorded (and would run again).
   */
  async add(item: ItemRecord): Promise<void> {
    this.buffer.push(item);
    if (this.buffer.length >= transactionSize) await this.flush();
    else if (this.writesInFlight > 0 && this.buffer.length >= 2 * this.ctx.settings.itemConcurrency) {
      await this.writing.catch(() => undefined);
    }
  }

  /** Writes what is buffered (after the writes before it), then checks for cancellation. */
  flush(): Promise<void> {
    const records = this.buffer.splice(0, this.buffer.length);
    this.lastFlushMs = this.ctx.clock().getTime();
    this.writesInFlight++;
    this.writing = this.writing.then(async () => {
      try {
        if (records.length > 0) await this.ctx.ports.items.write(this.requestId, this.batchNumber, records);
        const current = await this.ctx.ports.requests.get(this.requestId);
        if (current?.status === 'cancelled') this.cancelled = true;
      } catch (err: unknown) {
        this.failed = true;
        throw err;
      } finally {
        this.writesInFlight--;
      }
    });
    return this.writing;
  }

  /** Stops the timer and waits for every write started so far. @throws the first failed write's error. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }
}
