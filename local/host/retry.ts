/**
 * Function-level retry policies (`retry: { strategy: 'fixedDelay' | 'exponentialBackoff', … }`), applied
 * where Azure applies them among the triggers this host runs: timer triggers. The loop follows the
 * WebJobs SDK: the first run already carries `retryContext` { retryCount: 0, maxRetryCount }, each
 * retry increments retryCount and carries the previous failure; `maxRetryCount: -1` retries for ever;
 * exponential back-off starts at minimumInterval and adds a ±20 % randomised doubling step, capped at
 * maximumInterval.
 */
import type { RpcRetryOptions } from './functions-core';
import type { InvocationInput, InvocationOutcome, Invoker } from './invoker';
import type { FunctionRegistration } from './registrations';

export interface RetryPolicy {
  strategy: 'fixedDelay' | 'exponentialBackoff';
  maxRetryCount: number;
  delayInMs: number;
  minimumIntervalInMs: number;
  maximumIntervalInMs: number;
}

function durationInMs(value: RpcRetryOptions['delayInterval']): number {
  if (!value) return 0;
  return Number(value.seconds ?? 0) * 1000 + Math.round(Number(value.nanos ?? 0) / 1e6);
}

/**
 * The retry policy a registration declares, or undefined.
 * @throws RangeError naming the function when the policy is malformed (as the host refuses it at start).
 */
export function retryPolicyOf(registration: FunctionRegistration): RetryPolicy | undefined {
  const options = registration.retryOptions;
  if (!options) return undefined;
  const strategy = options.retryStrategy ?? (options.strategy as RetryPolicy['strategy'] | undefined);
  const maxRetryCount = Number(options.maxRetryCount ?? 0);
  if (strategy !== 'fixedDelay' && strategy !== 'exponentialBackoff') {
    throw new RangeError(
      `function "${registration.name}": retry strategy "${String(strategy)}" is not fixedDelay or exponentialBackoff`,
    );
  }
  if (!Number.isInteger(maxRetryCount) || maxRetryCount < -1) {
    throw new RangeError(`function "${registration.name}": retry maxRetryCount must be -1 or more`);
  }
  const policy: RetryPolicy = {
    strategy,
    maxRetryCount,
    delayInMs: durationInMs(options.delayInterval),
    minimumIntervalInMs: durationInMs(options.minimumInterval),
    maximumIntervalInMs: durationInMs(options.maximumInterval),
  };
  if (strategy === 'exponentialBackoff' && policy.minimumIntervalInMs > policy.maximumIntervalInMs) {
    throw new RangeError(
      `function "${registration.name}": retry minimumInterval must not be greater than maximumInterval`,
    );
  }
  return policy;
}

/**
 * The delays before successive retries, in the WebJobs SDK's order (a generator: state lives in it).
 * `random` returns values in [0, 1).
 */
export function* retryDelays(policy: RetryPolicy, random: () => number = Math.random): Generator<number> {
  if (policy.strategy === 'fixedDelay') {
    for (;;) yield policy.delayInMs;
  }
  const { minimumIntervalInMs: min, maximumIntervalInMs: max } = policy;
  let current = 0;
  let exponent = 0;
  for (;;) {
    if (current !== max) {
      let next = min;
      if (exponent > 0) next += (0.8 + 0.4 * random()) * 2 ** (exponent - 1) * min;
      if (next < max) {
        current = next;
        exponent++;
      } else {
        current = max;
      }
    }
    yield Math.round(current);
  }
}

/** .NET TimeSpan text for the host's retry log line (`00:00:01`, `00:00:01.5000000`). */
function timeSpan(ms: number): string {
  const pad = (n: number): string => String(Math.floor(n)).padStart(2, '0');
  const seconds = Math.floor(ms / 1000);
  const fraction = ms % 1000 === 0 ? '' : `.${String(Math.round((ms % 1000) * 10_000)).padStart(7, '0')}`;
  return `${pad(seconds / 3600)}:${pad((seconds / 60) % 60)}:${pad(seconds % 60)}${fraction}`;
}

export interface RetryRunOptions {
  invoker: Invoker;
  log: (line: string) => void;
  /** Resolves true when the host is stopping: the loop exits, like an invocation cancelled in Azure. */
  sleep: (ms: number) => Promise<boolean>;
}

/** Invokes with the function's retry policy (or once, without one). Never throws. */
export async function invokeWithRetries(
  registration: FunctionRegistration,
  input: InvocationInput,
  options: RetryRunOptions,
): Promise<InvocationOutcome> {
  const policy = retryPolicyOf(registration);
  if (!policy) return options.invoker.invoke(registration, input);
  const delays = retryDelays(policy);
  let attempt = 0;
  let previous: Error | undefined;
  for (;;) {
    const outcome = await options.invoker.invoke(registration, {
      ...input,
      retryContext: {
        retryCount: attempt,
        maxRetryCount: policy.maxRetryCount,
        ...(previous ? { exception: previous } : {}),
      },
    });
    if (outcome.succeeded) return outcome;
    if (policy.maxRetryCount !== -1 && attempt === policy.maxRetryCount) {
      options.log(`[${registration.name}] Function execution failed after '${attempt}' retries.`);
      return outcome;
    }
    attempt++;
    previous = outcome.error;
    const delay = delays.next().value as number;
    options.log(
      `[${registration.name}] Waiting for \`${timeSpan(delay)}\` before retrying function execution. ` +
        `Next attempt: '${attempt}'. Max retry count: '${policy.maxRetryCount}'.`,
    );
    if (await options.sleep(delay)) {
      options.log(`[${registration.name}] Invocation cancelled - exiting retry loop.`);
      return outcome;
    }
  }
}
