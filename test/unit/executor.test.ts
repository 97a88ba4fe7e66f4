import type { ExecutionTask } from '../../shared/app/ports/executor';
import { SimulatedExecutor, createExecutor, type ExecutorOptions } from '../../shared/adapters/executors';

const simulated = (
  overrides: Partial<Extract<ExecutorOptions, { type: 'simulated' }>> = {},
): ExecutorOptions => ({
  type: 'simulated',
  seed: 7,
  latencyMs: { min: 0, max: 0 },
  transientFailureRate: 0,
  permanentFailureRate: 0,
  ...overrides,
});

function task(i: number, attempt = 1): ExecutionTask {
  return {
    kind: 'migrate-mailbox',
    requestId: 'req-1',
    orgId: 'contoso',
    tier: 'health',
    itemId: `item-${i}`,
    idempotencyKey: `req-1:item-${i}`,
    payload: { address: `user${i}@contoso.com` },
    attempt,
  };
}

describe('createExecutor validation', () => {
  test.each<[string, ExecutorOptions, ErrorConstructor, RegExp]>([
    ['rate above 1', simulated({ transientFailureRate: 1.5 }), RangeError, /transientFailureRate/],
    ['negative rate', simulated({ permanentFailureRate: -0.1 }), RangeError, /permanentFailureRate/],
    [
      'rates summing above 1',
      simulated({ transientFailureRate: 0.6, permanentFailureRate: 0.5 }),
      RangeError,
      /must not exceed 1/,
    ],
    [
      'NaN rate',
      simulated({ transientFailureRate: NaN }),
      TypeError,
      /transientFailureRate must be a number/,
    ],
    [
      'min above max',
      simulated({ latencyMs: { min: 10, max: 5 } }),
      RangeError,
      /latencyMs.min \(10\) must not exceed/,
    ],
    ['negative latency', simulated({ latencyMs: { min: -1, max: 5 } }), RangeError, /latencyMs.min/],
    ['fractional seed', simulated({ seed: 1.5 }), RangeError, /seed must be an integer/],
    [
      'ftp url',
      { type: 'http', url: 'ftp://x', timeoutMs: 1, maxAttempts: 1, backoffMs: 0 },
      TypeError,
      /http or https/,
    ],
    [
      'relative url',
      { type: 'http', url: '/items', timeoutMs: 1, maxAttempts: 1, backoffMs: 0 },
      TypeError,
      /absolute URL/,
    ],
    [
      'zero attempts',
      { type: 'http', url: 'http://x', timeoutMs: 1, maxAttempts: 0, backoffMs: 0 },
      RangeError,
      /maxAttempts/,
    ],
    [
      'zero timeout',
      { type: 'http', url: 'http://x', timeoutMs: 0, maxAttempts: 1, backoffMs: 0 },
      RangeError,
      /timeoutMs/,
    ],
    [
      'unknown type',
      { type: 'carrier-pigeon' } as unknown as ExecutorOptions,
      TypeError,
      /unknown executor type "carrier-pigeon"/,
    ],
  ])('refuses %s', (_name, options, errorType, message) => {
    expect(() => createExecutor(options)).toThrow(errorType);
    expect(() => createExecutor(options)).toThrow(message);
  });

  test('accepts the boundaries', () => {
    expect(createExecutor(simulated({ transientFailureRate: 0.5, permanentFailureRate: 0.5 })).name).toBe(
      'simulated',
    );
    expect(
      createExecutor({
        type: 'http',
        url: 'https://x.example/items',
        timeoutMs: 1,
        maxAttempts: 1,
        backoffMs: 0,
      }).name,
    ).toBe('http');
  });
});

describe('simulated executor', () => {
  test('outcomes are a pure function of (seed, idempotencyKey, attempt): order and concurrency do not matter', async () => {
    const options = simulated({
      transientFailureRate: 0.2,
      permanentFailureRate: 0.1,
      latencyMs: { min: 0, max: 3 },
    });
    const tasks = Array.from({ length: 300 }, (_, i) => task(i, 1 + (i % 3)));
    const first = createExecutor(options);
    const sequential = [];
    for (const t of tasks) sequential.push(await first.execute(t));
    const second = createExecutor(options);
    const shuffled = [...tasks.keys()].sort((a, b) => ((a * 7919) % 300) - ((b * 7919) % 300));
    const concurrent = new Array(tasks.length);
    await Promise.all(
      shuffled.map(async (i) => (concurrent[i] = await second.execute(tasks[i] as ExecutionTask))),
    );
    expect(concurrent).toEqual(sequential);
    // A different seed gives a different run.
    const other = createExecutor(
      simulated({ transientFailureRate: 0.2, permanentFailureRate: 0.1, seed: 8 }),
    );
    const otherRun = await Promise.all(tasks.map((t) => other.execute(t)));
    expect(otherRun).not.toEqual(sequential);
  });

  test('failure rates hold over many tasks; permanent failures repeat on every attempt', () => {
    const executor = new SimulatedExecutor({
      seed: 1,
      latencyMs: { min: 0, max: 0 },
      transientFailureRate: 0.1,
      permanentFailureRate: 0.05,
    });
    const n = 20_000;
    let transient = 0;
    let permanent = 0;
    for (let i = 0; i < n; i++) {
      const outcome = executor.decide(task(i)).outcome;
      if (!outcome.ok && outcome.retryable) transient++;
      if (!outcome.ok && !outcome.retryable) {
        permanent++;
        for (let attempt = 2; attempt <= 5; attempt++) {
          expect(executor.decide(task(i, attempt)).outcome).toEqual(outcome);
        }
      }
    }
    expect(permanent / n).toBeGreaterThan(0.04);
    expect(permanent / n).toBeLessThan(0.06);
    // Transient failures are drawn for the tasks that do not fail permanently.
    expect(transient / (n - permanent)).toBeGreaterThan(0.09);
    expect(transient / (n - permanent)).toBeLessThan(0.11);
  });

  test('transient failures are decided per attempt, so retrying succeeds well within 10 deliveries', async () => {
    const executor = createExecutor(simulated({ transientFailureRate: 0.5 }));
    let maxAttempts = 0;
    let failedFirst = 0;
    for (let i = 0; i < 2_000; i++) {
      let attempt = 1;
      while (!(await executor.execute(task(i, attempt))).ok) attempt++;
      if (attempt > 1) failedFirst++;
      maxAttempts = Math.max(maxAttempts, attempt);
    }
    expect(failedFirst).toBeGreaterThan(800);
    expect(maxAttempts).toBeGreaterThan(1);
    expect(maxAttempts).toBeLessThanOrEqual(20);
  });

  test('a transient rate of 1 fails every attempt (to exercise dead-lettering)', async () => {
    const executor = createExecutor(simulated({ transientFailureRate: 1 }));
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect(await executor.execute(task(1, attempt))).toMatchObject({ ok: false, retryable: true });
    }
  });

  test('latency is drawn uniformly in [min, max] and actually waited', async () => {
    const executor = new SimulatedExecutor({
      seed: 3,
      latencyMs: { min: 20, max: 40 },
      transientFailureRate: 0,
      permanentFailureRate: 0,
    });
    const latencies = Array.from({ length: 5_000 }, (_, i) => executor.decide(task(i)).latencyMs);
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(40);
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    expect(mean).toBeGreaterThan(29);
    expect(mean).toBeLessThan(31);
    const started = performance.now();
    await executor.execute(task(0));
    expect(performance.now() - started).toBeGreaterThanOrEqual(executor.decide(task(0)).latencyMs - 2);
  });

  test('zero latency sets no timer at all', async () => {
    const executor = createExecutor(simulated());
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => executor.execute(task(i))));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  test('a back-end capacity is never exceeded: calls beyond it wait their turn, in arrival order', async () => {
    const executor = new SimulatedExecutor({
      seed: 5,
      latencyMs: { min: 5, max: 5 },
      transientFailureRate: 0,
      permanentFailureRate: 0,
      capacity: 3,
    });
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await executor.execute(task(i));
        finished.push(i);
      }),
    );
    expect(executor.stats).toMatchObject({ calls: 12, succeeded: 12, maxInFlight: 3, queued: 9 });
    // Equal latencies: the first three finish first, and the waiting ones start in arrival order.
    expect(finished.slice(0, 3).sort((a, b) => a - b)).toEqual([0, 1, 2]);
    expect(finished.indexOf(3)).toBeLessThan(finished.indexOf(11));
  });

  test('a call aborted while it waits for the back-end leaves the line and takes no place', async () => {
    const executor = new SimulatedExecutor({
      seed: 5,
      latencyMs: { min: 20, max: 20 },
      transientFailureRate: 0,
      permanentFailureRate: 0,
      capacity: 1,
    });
    const controller = new AbortController();
    const first = executor.execute(task(1));
    const waiting = executor.execute(task(2), controller.signal);
    const third = executor.execute(task(3));
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    await expect(Promise.all([first, third])).resolves.toHaveLength(2);
    expect(executor.stats).toMatchObject({ calls: 3, succeeded: 2, aborted: 1, maxInFlight: 1 });
  });

  test('createExecutor refuses a negative or fractional back-end capacity', () => {
    expect(() => createExecutor(simulated({ capacity: -1 }))).toThrow(RangeError);
    expect(() => createExecutor(simulated({ capacity: 1.5 }))).toThrow(RangeError);
  });

  test('honours an AbortSignal, before and during the simulated work', async () => {
    const executor = new SimulatedExecutor({
      seed: 3,
      latencyMs: { min: 10_000, max: 10_000 },
      transientFailureRate: 0,
      permanentFailureRate: 0,
    });
    await expect(executor.execute(task(1), AbortSignal.abort(new Error('shutting down')))).rejects.toThrow(
      'shutting down',
    );
    const controller = new AbortController();
    const started = performance.now();
    const running = executor.execute(task(2), controller.signal);
    const reason = new Error('host stopping');
    setImmediate(() => controller.abort(reason));
    await expect(running).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(executor.stats).toMatchObject({ calls: 2, aborted: 2, succeeded: 0 });
  });
});

describe('simulated long-running operations (operationMs)', () => {
  /** The simulated executor itself (its `poll` is not optional), answering every task after `operationMs`. */
  const slow = (operationMs: number, permanentFailureRate = 0) =>
    new SimulatedExecutor({
      seed: 7,
      latencyMs: { min: 0, max: 0 },
      transientFailureRate: 0,
      permanentFailureRate,
      operationMs,
    });

  test('a task answers in progress, its status reads in progress until operationMs passed, then its outcome', async () => {
    const executor = slow(500);
    const started = await executor.execute(task(1));
    expect(started).toMatchObject({ ok: 'in-progress', retryAfterMs: 500 });
    const url = started.ok === 'in-progress' ? started.operationUrl : '';
    const early = await executor.poll(task(1), url);
    expect(early).toMatchObject({ ok: 'in-progress', operationUrl: url });
    expect(early.ok === 'in-progress' && (early.retryAfterMs ?? 0) <= 500).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 520));
    expect(await executor.poll(task(1), url)).toEqual({
      ok: true,
      detail: expect.stringMatching(/^simulated/),
    });
    expect(executor.stats).toMatchObject({ operationsStarted: 1, polls: 2, succeeded: 1 });
    // Another task's URL, or something else entirely, is not this task's operation.
    expect(await executor.poll(task(2), url)).toMatchObject({ ok: false, retryable: false });
    expect(await executor.poll(task(1), 'https://elsewhere.example/op')).toMatchObject({
      ok: false,
      retryable: false,
    });
  });

  test('permanent failures are operations that end failed; transient ones answer at once, as before', async () => {
    const permanent = slow(1, 1);
    const started = await permanent.execute(task(3));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const url = started.ok === 'in-progress' ? started.operationUrl : '';
    expect(await permanent.poll(task(3), url)).toEqual({
      ok: false,
      retryable: false,
      reason: 'simulated permanent failure',
    });
    const transient = createExecutor(simulated({ transientFailureRate: 1, operationMs: 1_000 }));
    expect(await transient.execute(task(4))).toMatchObject({ ok: false, retryable: true });
  });

  test('createExecutor refuses a negative or fractional operationMs', () => {
    expect(() => createExecutor(simulated({ operationMs: -1 }))).toThrow(RangeError);
    expect(() => createExecutor(simulated({ operationMs: 1.5 }))).toThrow(RangeError);
  });
});
