import type { Executor } from '../../app/ports/executor';
import { HttpExecutor } from './http-executor';
import { SimulatedExecutor } from './simulated-executor';

export { HttpExecutor, type HttpExecutorOptions } from './http-executor';
export {
  SimulatedExecutor,
  type SimulatedExecutorOptions,
  type SimulatedExecutorStats,
} from './simulated-executor';

/** How to build an executor; `type` picks the implementation. */
export type ExecutorOptions =
  | {
      type: 'simulated';
      seed: number;
      latencyMs: { min: number; max: number };
      transientFailureRate: number;
      permanentFailureRate: number;
      /** Calls the simulated back-end serves at once; 0 or absent: unlimited. */
      capacity?: number;
      /** Above 0: tasks run as long-running operations of this many ms (answered in progress, then polled). */
      operationMs?: number;
    }
  | { type: 'http'; url: string; timeoutMs: number; maxAttempts: number; backoffMs: number };

/**
 * Builds the executor the options describe, after validating them.
 * @throws TypeError for an unknown `type`, a non-numeric setting or a URL that is not http(s).
 * @throws RangeError for rates outside [0, 1] or summing above 1, `latencyMs.min > max`, negative
 *   latencies, capacity or backoff, a non-positive timeout, or `maxAttempts` not an integer ≥ 1.
 */
export function createExecutor(options: ExecutorOptions): Executor {
  switch (options?.type) {
    case 'simulated': {
      requireInteger('seed', options.seed);
      const { min, max } = options.latencyMs ?? {};
      requireNumber('latencyMs.min', min, 0);
      requireNumber('latencyMs.max', max, 0);
      if (min > max) throw new RangeError(`latencyMs.min (${min}) must not exceed latencyMs.max (${max})`);
      requireNumber('transientFailureRate', options.transientFailureRate, 0, 1);
      requireNumber('permanentFailureRate', options.permanentFailureRate, 0, 1);
      if (options.transientFailureRate + options.permanentFailureRate > 1) {
        throw new RangeError(
          `transientFailureRate + permanentFailureRate must not exceed 1 (got ${options.transientFailureRate} + ${options.permanentFailureRate})`,
        );
      }
      if (options.capacity !== undefined) requireInteger('capacity', options.capacity, 0);
      if (options.operationMs !== undefined) requireInteger('operationMs', options.operationMs, 0);
      return new SimulatedExecutor({
        seed: options.seed,
        latencyMs: { min, max },
        transientFailureRate: options.transientFailureRate,
        permanentFailureRate: options.permanentFailureRate,
        ...(options.capacity ? { capacity: options.capacity } : {}),
        ...(options.operationMs ? { operationMs: options.operationMs } : {}),
      });
    }
    case 'http': {
      let url: URL;
      try {
        url = new URL(options.url);
      } catch {
        throw new TypeError(`executor url "${String(options.url)}" is not an absolute URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new TypeError(`executor url must be http or https, got ${url.protocol}`);
      }
      requireNumber('timeoutMs', options.timeoutMs, 1);
      requireInteger('maxAttempts', options.maxAttempts, 1);
      requireNumber('backoffMs', options.backoffMs, 0);
      return new HttpExecutor({
        url: url.href,
        timeoutMs: options.timeoutMs,
        maxAttempts: options.maxAttempts,
        backoffMs: options.backoffMs,
      });
    }
    default:
      throw new TypeError(
        `unknown executor type "${String((options as { type?: unknown } | undefined)?.type)}" (expected simulated or http)`,
      );
  }
}

function requireNumber(
  name: string,
  value: unknown,
  min = -Infinity,
  max = Infinity,
): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number`);
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${name} must be a finite number ${range}, got ${value}`);
  }
}

function requireInteger(name: string, value: unknown, min = -Infinity): asserts value is number {
  requireNumber(name, value, min);
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
}
