import { isTriageError, TriageError } from '../../domain/errors';

export interface RetryOnConflictOptions {
  /** What is being changed, for the error when it keeps conflicting. */
  what: string;
  /** Attempts in all, the first included. Default 25. */
  maxAttempts?: number;
  /** Upper bound of the first back-off; doubles per attempt. Default 2 ms. */
  baseDelayInMs?: number;
  /** Longest back-off. Default 100 ms. */
  maxDelayInMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one optimistic-concurrency loop: runs `operation` (which reads, decides and writes with an ETag)
 * until it does not throw `concurrency`, backing off with full jitter between attempts so writers that
 * collided spread out instead of colliding again.
 * @throws TriageError `concurrency` after `maxAttempts`; anything else `operation` throws, at once.
 */
export async function retryOnConflict<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOnConflictOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 25;
  const base = options.baseDelayInMs ?? 2;
  const max = options.maxDelayInMs ?? 100;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (attempt > 0) await sleep(Math.random() * Math.min(max, base * 2 ** (attempt - 1)));
    try {
      return await operation(attempt);
    } catch (err: unknown) {
      if (!isTriageError(err, 'concurrency')) throw err;
    }
  }
  throw new TriageError(
    'concurrency',
    `${options.what} kept changing; gave up after ${maxAttempts} attempts`,
  );
}
