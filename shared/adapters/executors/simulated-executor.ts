import type { ExecutionOutcome, ExecutionTask, Executor } from '../../app/ports/executor';
import { abortReason, delay } from './abortable-delay';

/** Settings of the simulated executor (validated by `createExecutor`). */
export interface SimulatedExecutorOptions {
  seed: number;
  latencyMs: { min: number; max: number };
  /** Probability that one attempt of a task that does not fail permanently fails transiently. */
  transientFailureRate: number;
  /** Probability that a task fails permanently (the same answer on every attempt). */
  permanentFailureRate: number;
  /**
   * Calls the simulated back-end serves at once (0 or absent: unlimited). Calls beyond it wait in arrival
   * order, as at a real back-end whose concurrency is the scarce resource; the wait adds to their latency.
   */
  capacity?: number;
  /**
   * When above 0, every task that does not fail transiently runs as a long-running operation of this many ms
   * (real time): the call answers `in-progress`, and `poll` answers its outcome once the time has passed —
   * the asynchronous request-reply pattern of a real back-end, on a laptop. The operation's start travels in
   * its URL, so a restarted host polls it as well.
   */
  operationMs?: number;
}

/** Where a simulated operation's status is read: its key, attempt and start time, nothing kept in memory. */
const operationScheme = 'simulated:operation';

/** Counters since construction, for tests and the bench. */
export interface SimulatedExecutorStats {
  calls: number;
  succeeded: number;
  transientFailures: number;
  permanentFailures: number;
  aborted: number;
  /** Most calls served at once, and calls that had to wait for the back-end's capacity. */
  maxInFlight: number;
  queued: number;
  /** Long-running operations started, and status reads of them. */
  operationsStarted: number;
  polls: number;
}

/**
 * Simulates an external system. Every decision is a pure function of (seed, idempotencyKey, attempt),
 * drawn from a hash rather than a PRNG stream, so results do not depend on call order or concurrency:
 * the same run replays identically, and a redelivered attempt gets the same answer as the first try.
 * Transient failures are drawn per attempt independently, so with a rate r < 1 a task fails k attempts
 * in a row with probability r^k and retries eventually succeed; r = 1 makes every attempt fail (useful to
 * exercise dead-lettering). Permanent failures are drawn per task, so they repeat on every attempt.
 */
export class SimulatedExecutor implements Executor {
  readonly name = 'simulated';
  private readonly counters: SimulatedExecutorStats = {
    calls: 0,
    succeeded: 0,
    transientFailures: 0,
    permanentFailures: 0,
    aborted: 0,
    maxInFlight: 0,
    queued: 0,
    operationsStarted: 0,
    polls: 0,
  };
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: SimulatedExecutorOptions) {}

  get stats(): Readonly<SimulatedExecutorStats> {
    return { ...this.counters };
  }

  /**
   * The outcome and latency this executor gives a task, without waiting. Exposed so tests can predict runs.
   */
  decide(task: Pick<ExecutionTask, 'idempotencyKey' | 'attempt'>): {
    latencyMs: number;
    outcome: ExecutionOutcome;
  } {
    const { seed, latencyMs, transientFailureRate, permanentFailureRate } = this.options;
    const key = task.idempotencyKey;
    const latency =
      latencyMs.min + unitHash(seed, key, task.attempt, 'latency') * (latencyMs.max - latencyMs.min);
    let outcome: ExecutionOutcome;
    if (unitHash(seed, key, 0, 'permanent') < permanentFailureRate) {
      outcome = { ok: false, retryable: false, reason: 'simulated permanent failure' };
    } else if (unitHash(seed, key, task.attempt, 'transient') < transientFailureRate) {
      outcome = {
        ok: false,
        retryable: true,
        reason: `simulated transient failure (attempt ${task.attempt})`,
      };
    } else {
      outcome = { ok: true, detail: `simulated in ${Math.round(latency)} ms` };
    }
    return { latencyMs: latency, outcome };
  }

  /** @throws the signal's reason when `signal` aborts before the simulated work ends. */
  async execute(task: ExecutionTask, signal?: AbortSignal): Promise<ExecutionOutcome> {
    this.counters.calls++;
    const { latencyMs, outcome } = this.decide(task);
    try {
      if (signal?.aborted) throw abortReason(signal);
      await this.enter(signal);
      try {
        await delay(latencyMs, signal);
      } finally {
        this.leave();
      }
    } catch (err) {
      this.counters.aborted++;
      throw err;
    }
    const operationMs = this.options.operationMs ?? 0;
    if (operationMs > 0 && (outcome.ok === true || (outcome.ok === false && !outcome.retryable))) {
      this.counters.operationsStarted++;
      const query = new URLSearchParams({
        key: task.idempotencyKey,
        attempt: String(task.attempt),
        started: String(Date.now()),
      });
      return { ok: 'in-progress', operationUrl: `${operationScheme}?${query}`, retryAfterMs: operationMs };
    }
    return this.counted(outcome);
  }

  /** The status of an operation `execute` started: in progress until `operationMs` has passed, then its outcome. */
  async poll(task: ExecutionTask, operationUrl: string): Promise<ExecutionOutcome> {
    this.counters.polls++;
    const [scheme, query] = operationUrl.split('?', 2);
    const params = new URLSearchParams(query ?? '');
    const started = Number(params.get('started'));
    const attempt = Number(params.get('attempt'));
    if (scheme !== operationScheme || params.get('key') !== task.idempotencyKey || !started || !attempt) {
      return {
        ok: false,
        retryable: false,
        reason: `not a simulated operation of this task: ${operationUrl.slice(0, 200)}`,
      };
    }
    const left = started + (this.options.operationMs ?? 0) - Date.now();
    if (left > 0) return { ok: 'in-progress', operationUrl, retryAfterMs: left };
    return this.counted(this.decide({ idempotencyKey: task.idempotencyKey, attempt }).outcome);
  }

  private counted(outcome: ExecutionOutcome): ExecutionOutcome {
    if (outcome.ok === true) this.counters.succeeded++;
    else if (outcome.ok === false && outcome.retryable) this.counters.transientFailures++;
    else if (outcome.ok === false) this.counters.permanentFailures++;
    return outcome;
  }

  /** Waits for a place at the back-end (at once when it has no capacity limit or a free place). */
  private async enter(signal?: AbortSignal): Promise<void> {
    const capacity = this.options.capacity ?? 0;
    if (capacity > 0 && this.inFlight >= capacity) {
      this.counters.queued++;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const at = this.waiting.indexOf(admit);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(abortReason(signal as AbortSignal));
        };
        const admit = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(admit);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.inFlight++;
    }
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.inFlight);
  }

  /** Frees a place: the longest-waiting call takes it over (the count stays), or it is returned. */
  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}

/**
 * A uniform number in [0, 1) from (seed, key, attempt, purpose): FNV-1a over the UTF-16 code units, then
 * the MurmurHash3 finaliser to spread FNV's weak low bits. Not cryptographic; only needs to look uniform.
 */
export function unitHash(seed: number, key: string, attempt: number, purpose: string): number {
  let h = 0x811c9dc5;
  const text = `${seed}\u0000${purpose}\u0000${attempt}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
