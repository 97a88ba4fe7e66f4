import type { ExecutionOutcome, ExecutionTask, Executor } from '../../app/ports/executor';
import { ensureError } from '../../domain/errors';
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

/**
 * POSTs each task as JSON to a URL with an `Idempotency-Key` header.
 * 2xx → ok; 408 and 429 → transient at once (throttling is left to Service Bus redelivery rather than
 * held under a message lock); other 4xx and 3xx → permanent; 5xx, timeouts and connection errors are
 * retried in process with exponential backoff and jitter, then reported transient.
 */
export class HttpExecutor implements Executor {
  readonly name = 'http';

  constructor(private readonly options: HttpExecutorOptions) {}

  /** @throws the signal's reason when `signal` aborts. Never throws for HTTP or network failures. */
  async execute(task: ExecutionTask, signal?: AbortSignal): Promise<ExecutionOutcome> {
    const body = JSON.stringify({
      kind: task.kind,
      requestId: task.requestId,
      orgId: task.orgId,
      tier: task.tier,
      itemId: task.itemId,
      payload: task.payload,
      attempt: task.attempt,
    });
    let lastProblem = 'no attempt made';
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      const result = await this.attempt(task.idempotencyKey, body, signal);
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

  /** Equal jitter: half the exponential step fixed, half random, so concurrent retries spread out. */
  private backoff(attempt: number): number {
    const step = Math.min(MAX_BACKOFF_MS, this.options.backoffMs * 2 ** (attempt - 1));
    return step / 2 + Math.random() * (step / 2);
  }

  private async attempt(idempotencyKey: string, body: string, signal?: AbortSignal): Promise<AttemptResult> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeout(`timed out after ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    const onAbort = (): void => controller.abort(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      // Reading the body (even when unused) frees the connection for keep-alive; it is under the same timeout.
      const text = await response.text();
      const status = response.status;
      if (status >= 200 && status < 300) return { final: { ok: true, detail: `HTTP ${status}` } };
      const reason = `HTTP ${status}${excerpt(text)}`;
      if (status >= 500) return { retry: reason };
      if (status === 408 || status === 429) return { final: { ok: false, retryable: true, reason } };
      return { final: { ok: false, retryable: false, reason } };
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

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '';
  return `: ${oneLine.length > BODY_EXCERPT_CHARS ? `${oneLine.slice(0, BODY_EXCERPT_CHARS)}…` : oneLine}`;
}
