/**
 * The retry-delay schedule the local host uses for timer retry policies, held to the WebJobs SDK's
 * documented rules with fast-check: fixed delays never change; exponential back-off starts at the
 * minimum interval, never leaves [minimumInterval, maximumInterval], never shrinks, and grows by a
 * randomised doubling step (±20 %) until it reaches the maximum.
 */
import fc from 'fast-check';
import { retryDelays, retryPolicyOf, type RetryPolicy } from '../../local/host/retry';
import type { FunctionRegistration } from '../../local/host/registrations';

function take(policy: RetryPolicy, count: number, random: () => number): number[] {
  const delays = retryDelays(policy, random);
  return Array.from({ length: count }, () => delays.next().value as number);
}

const seeded = (seed: number): (() => number) => {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
};

test('fixedDelay: every retry waits the delayInterval', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 1, max: 20 }), (delay, count) => {
      const policy: RetryPolicy = {
        strategy: 'fixedDelay',
        maxRetryCount: count,
        delayInMs: delay,
        minimumIntervalInMs: 0,
        maximumIntervalInMs: 0,
      };
      expect(take(policy, count, Math.random)).toEqual(Array.from({ length: count }, () => delay));
    }),
  );
});

test('exponentialBackoff: starts at the minimum, stays within [min, max], never shrinks, reaches the max', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 0, max: 600_000 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      (min, extra, seed) => {
        const max = min + extra;
        const policy: RetryPolicy = {
          strategy: 'exponentialBackoff',
          maxRetryCount: 40,
          delayInMs: 0,
          minimumIntervalInMs: min,
          maximumIntervalInMs: max,
        };
        const delays = take(policy, 40, seeded(seed));
        expect(delays[0]).toBe(min);
        for (const [i, delay] of delays.entries()) {
          expect(delay).toBeGreaterThanOrEqual(min);
          expect(delay).toBeLessThanOrEqual(max);
          if (i > 0) expect(delay).toBeGreaterThanOrEqual(delays[i - 1] ?? 0);
        }
        expect(delays.at(-1)).toBe(max);
      },
    ),
  );
});

test('the second exponential delay is the minimum plus 0.8–1.2 × the minimum', () => {
  const policy: RetryPolicy = {
    strategy: 'exponentialBackoff',
    maxRetryCount: 3,
    delayInMs: 0,
    minimumIntervalInMs: 1_000,
    maximumIntervalInMs: 60_000,
  };
  expect(take(policy, 2, () => 0)).toEqual([1_000, 1_800]);
  expect(take(policy, 2, () => 0.999_999)).toEqual([1_000, 2_200]);
  expect(take(policy, 3, () => 0.5)).toEqual([1_000, 2_000, 3_000]);
});

test('a malformed policy is refused naming the function', () => {
  const registration = (retryOptions: Record<string, unknown>): FunctionRegistration => ({
    name: 'nightly',
    trigger: { type: 'timerTrigger', name: 'timer' },
    bindings: {},
    retryOptions,
    handler: () => undefined,
  });
  expect(() => retryPolicyOf(registration({ retryStrategy: 'linear', maxRetryCount: 1 }))).toThrow(
    'function "nightly": retry strategy "linear" is not fixedDelay or exponentialBackoff',
  );
  expect(() => retryPolicyOf(registration({ retryStrategy: 'fixedDelay', maxRetryCount: -2 }))).toThrow(
    'function "nightly": retry maxRetryCount must be -1 or more',
  );
  expect(
    retryPolicyOf(
      registration({ retryStrategy: 'fixedDelay', maxRetryCount: -1, delayInterval: { seconds: 2 } }),
    ),
  ).toMatchObject({ maxRetryCount: -1, delayInMs: 2_000 });
});
