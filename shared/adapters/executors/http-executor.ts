import type { ExecutionOutcome, ExecutionTask, Executor } from '../../app/ports/executor';
import { ensureError } from '../../domain/errors';
import { maxOperationUrlLength, parseRetryAfter } from '../../domain/long-running';
import { abortReason, delay } from './abortable-delay';

/** Settings of the HTTP executor (validated by `createExecutor`). */
export interface HttpExecutorOptions {
  url: string;
  /** Per attempt, covering the response body too. */
  timeoutMs: number;
  /** In-process attempts for 5xx, timeouts and connection errors, the first included. */
  maxAttempts: number;
  /** Base of the exponential backoff between in-process attempts. */
  backoffMs: number;
}

/** Longest backoff between two in-process attempts: beyond that, Service Bus redelivery is the better retry. */
const MAX_BACKOFF_MS = 30_000;
/** How much of an error response body goes into a failure reason. */
const BODY_EXCERPT_CHARS = 200;

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

type AttemptResult = { final: ExecutionOutcome } | { retry: string };

/** One HTTP exchange as the executor reads it (the body already read, under the attempt's timeout). */
interface Exchange {
  status: number;
  headers: Headers;
  text: string;
}

/** Operation states a status body may name (ours in lower case, Azure Resource Manager's as they are). */
const runningStates = new Set(['running', 'inprogress', 'in-progress', 'notstarted', 'accepted', 'pending']);
const succeededStates = new Set(['succeeded', 'completed', 'done']);
const failedStates = new Set(['failed', 'canceled', 'cancelled']);

/**
 * POSTs each task as JSON to a URL with an `Idempotency-Key` header.
 * 2xx → ok, except `202 Accepted` with a `Location`: a long-running operation, in progress (polled later
 * with `poll`); 408 and 429 → transient at once (throttling is left to back-off rather than held under a
 * message lock); other 4xx and 3xx → permanent; 5xx, timeouts and connection errors are retried in process
 * with exponential backoff and jitter, then reported transient.
 */
export class HttpExecutor implements Executor {
  readonly name = 'http';
  private readonly origin: string;

  constructor(private readonly options: HttpExecutorOptions) {
    this.origin = new URL(options.url).origin;
  }

  /** @throws the signal's reason when `signal` aborts. Never throws for HTTP or network failures. */
  async execute(task: ExecutionTask, signal?: AbortSignal): Promise<ExecutionOutcome> {
    const body = this.bodyOf(task);
    let lastProblem = 'no attempt made';
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      const result = await this.attempt(
        { method: 'POST', url: this.options.url, idempotencyKey: task.idempotencyKey, body },
        (exchange) => this.startOutcome(exchange),
        signal,
      );
      if ('final' in result) return result.final;
      lastProblem = result.retry;
      if (attempt < this.options.maxAttempts) await delay(this.backoff(attempt), signal);
    }
    const attempts = this.options.maxAttempts;
    return {
      ok: false,
      retryable: true,
      reason: `${lastProblem} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
    };
  }

  /**
   * GETs a long-running operation's status (one attempt: a failure to read it is transient, and the caller
   * polls again later). `202`, or `200` with a running `status` → still in progress; `200`/`201`/`204` with
   * a succeeded status or none, or a `303 See Other` → done; a failed or cancelled status → permanent failure
   * with the body's `error`; `404`/`410` → the back-end lost the operation, so the task is started again
   * (the Idempotency-Key makes that safe); 408, 429, 5xx, timeouts and connection errors → transient;
   * other answers → permanent.
   * @throws the signal's reason when `signal` aborts.
   */
  async poll(task: ExecutionTask, operationUrl: string, signal?: AbortSignal): Promise<ExecutionOutcome> {
    const url = this.operationUrl(operationUrl, this.options.url);
    if (typeof url !== 'string') return url;
    const result = await this.attempt(
      { method: 'GET', url, idempotencyKey: task.idempotencyKey },
      (exchange) => this.pollOutcome(exchange, url),
      signal,
    );
    if ('retry' in result) return { ok: false, retryable: true, reason: `status unknown: ${result.retry}` };
    if (result.final === lost) return this.execute(task, signal);
    return result.final;
  }

  private bodyOf(task: ExecutionTask): string {
    return JSON.stringify({
      kind: task.kind,
      requestId: task.requestId,
      orgId: task.orgId,
      tier: task.tier,
      itemId: task.itemId,
      payload: task.payload,
      attempt: task.attempt,
    });
  }

  /** What a start (POST) answered. */
  private startOutcome(exchange: Exchange): AttemptResult {
    const { status, headers, text } = exchange;
    if (status === 202) {
      if (headers.has('location')) return { final: this.inProgress(exchange, this.options.url) };
      // Accepted, with no way to follow it: neither done nor failed is known, so say so loudly.
      const reason = 'HTTP 202 without a Location header: the operation cannot be followed';
      return { final: { ok: false, retryable: false, reason } };
    }
    if (status >= 200 && status < 300) return { final: { ok: true, detail: `HTTP ${status}` } };
    const reason = `HTTP ${status}${excerpt(text)}`;
    if (status >= 500) return { retry: reason };
    if (status === 408 || status === 429) return { final: { ok: false, retryable: true, reason } };
    return { final: { ok: false, retryable: false, reason } };
  }

  /** What a status read (GET) answered; `lost` when the back-end no longer knows the operation. */
  private pollOutcome(exchange: Exchange, url: string): AttemptResult {
    const { status, text } = exchange;
    if (status === 202) return { final: this.inProgress(exchange, url) };
    if (status === 303) return { final: { ok: true, detail: 'HTTP 303: operation done' } };
    if (status === 404 || status === 410) return { final: lost };
    if (status >= 200 && status < 300) return { final: this.statusBodyOutcome(exchange, url) };
    const reason = `status HTTP ${status}${excerpt(text)}`;
    if (status >= 500 || status === 408 || status === 429) return { retry: reason };
    return { final: { ok: false, retryable: false, reason } };
  }

  /** A 2xx status body: `{"status": …, "error"?: …}`; no status at all means the operation is done. */
  private statusBodyOutcome(exchange: Exchange, url: string): ExecutionOutcome {
    const body = parseJsonObject(exchange.text);
    const state = typeof body?.status === 'string' ? body.status.toLowerCase() : undefined;
    if (state === undefined || succeededStates.has(state)) {
      return { ok: true, detail: `HTTP ${exchange.status}: operation ${state ?? 'done'}` };
    }
    if (runningStates.has(state)) return this.inProgress(exchange, url);
    if (failedStates.has(state)) {
      const error = describeError(body?.error);
      return { ok: false, retryable: false, reason: `operation ${state}${error ? `: ${error}` : ''}` };
    }
    // An unknown state is not an answer: ask again later (the deadline bounds how long).
    return {
      ok: false,
      retryable: true,
      reason: `operation status "${clip(state)}" is not one Triage knows`,
    };
  }

  /** In progress: where to read the status next (a new `Location`, or the same URL) and when. */
  private inProgress(exchange: Exchange, current: string): ExecutionOutcome {
    const location = exchange.headers.get('location');
    const next = location ? this.operationUrl(location, current) : current;
    if (typeof next !== 'string') return next;
    const retryAfterMs = parseRetryAfter(exchange.headers.get('retry-after'), new Date());
    return {
      ok: 'in-progress',
      operationUrl: next,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      detail: `HTTP ${exchange.status}: in progress`,
    };
  }

  /**
   * A status URL resolved against `base`, kept only on the executor's own origin: a back-end (or whoever
   * answers in its name) cannot send Triage's calls, with their idempotency keys, anywhere else.
   */
  private operationUrl(location: string, base: string): string | ExecutionOutcome {
    let url: URL;
    try {
      url = new URL(location, base);
    } catch {
      return { ok: false, retryable: false, reason: `status URL "${clip(location)}" is not a URL` };
    }
    if (url.origin !== this.origin) {
      return {
        ok: false,
        retryable: false,
        reason: `status URL ${clip(url.href)} is not on the executor's origin ${this.origin}`,
      };
    }
    if (url.href.length > maxOperationUrlLength) {
      return {
        ok: false,
        retryable: false,
        reason: `status URL longer than ${maxOperationUrlLength} characters`,
      };
    }
    return url.href;
  }

  /** Equal jitter: half the exponential step fixed, half random, so concurrent retries spread out. */
  private backoff(attempt: number): number {
    const step = Math.min(MAX_BACKOFF_MS, this.options.backoffMs * 2 ** (attempt - 1));
    return step / 2 + Math.random() * (step / 2);
  }

  private async attempt(
    call: { method: 'POST' | 'GET'; url: string; idempotencyKey: string; body?: string },
    read: (exchange: Exchange) => AttemptResult,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeout(`timed out after ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    const onAbort = (): void => controller.abort(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetch(call.url, {
        method: call.method,
        headers: {
          ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
          'idempotency-key': call.idempotencyKey,
        },
        ...(call.body !== undefined ? { body: call.body } : {}),
        redirect: 'manual',
        signal: controller.signal,
      });
      // Reading the body (even when unused) frees the connection for keep-alive; it is under the same timeout.
      const text = await response.text();
      return read({ status: response.status, headers: response.headers, text });
    } catch (err: unknown) {
      if (signal?.aborted) throw abortReason(signal);
      const error = ensureError(err);
      if (controller.signal.aborted && controller.signal.reason instanceof AttemptTimeout) {
        return { retry: controller.signal.reason.message };
      }
      // fetch reports network failures as TypeError('fetch failed') with the system error as cause.
      const cause = error.cause === undefined ? undefined : ensureError(error.cause);
      const code = (cause as NodeJS.ErrnoException | undefined)?.code;
      return { retry: `connection error: ${code ?? cause?.message ?? error.message}` };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** A poll's answer that the back-end no longer knows the operation (the task is started again). */
const lost: ExecutionOutcome = { ok: false, retryable: true, reason: 'operation unknown to the back-end' };

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An error as a status body gives it: a string, or an object with `message` (and `code`). */
function describeError(error: unknown): string {
  if (typeof error === 'string') return clip(error);
  if (error !== null && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const parts = [code, message].filter((p): p is string => typeof p === 'string');
    return clip(parts.join(': '));
  }
  return '';
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > BODY_EXCERPT_CHARS ? `${oneLine.slice(0, BODY_EXCERPT_CHARS)}…` : oneLine;
}

/** A response body's first characters, as ": …" after a status (nothing for an empty body). */
function excerpt(text: string): string {
  const clipped = clip(text);
  return clipped === '' ? '' : `: ${clipped}`;
}
