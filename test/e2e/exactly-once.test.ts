import { E2eStack, mailboxes, startCountingExecutorServer, startE2eStack } from './support/e2e-stack';

/**
 * Exactly once in effect: the broker redelivers every message once more after it was completed, and the
 * downstream system (the `http` executor's target) fails 10% of calls with 503. Every item must succeed
 * exactly once at the downstream system, and the counters must be exact.
 */
let e2e: E2eStack;
let downstream: Awaited<ReturnType<typeof startCountingExecutorServer>>;

beforeAll(async () => {
  downstream = await startCountingExecutorServer({ failureRate: 0.1, seed: 7 });
  e2e = await startE2eStack({
    redeliverCompletedOnce: true,
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: downstream.url,
      // One attempt per delivery: every 503 goes back through Service Bus redelivery.
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '1',
      TRIAGE_EXECUTOR_TIMEOUT_MS: '5000',
      TRIAGE_EXECUTOR_BACKOFF_MS: '0',
      TRIAGE_BATCH_SIZE: '100',
      TRIAGE_ITEM_CONCURRENCY: '16',
    },
  });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
  await downstream?.close();
});

test('redelivered messages and 10% transient failures: each item succeeds exactly once, counters exact', async () => {
  await e2e.registerOrg('nhs-trust', 'health');
  await e2e.registerOrg('gov-dept', 'government');
  const migration = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'nhs-trust',
    mailboxes: mailboxes(2_000),
  });
  expect(migration.status).toBe(202);
  const provisions = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      e2e.http('POST', '/api/requests', {
        kind: 'provision',
        orgId: i % 2 ? 'gov-dept' : 'corner-shop',
        resource: { type: 'vm', quantity: 1, region: 'uksouth' },
      }),
    ),
  );
  const ids = [migration.json.id as string, ...provisions.map((p) => p.json.id as string)];
  const states = await e2e.waitForFinal(ids, 150_000);

  expect(states.get(migration.json.id)).toMatchObject({
    status: 'completed',
    batchesCompleted: 20,
    progress: { total: 2000, succeeded: 2000, failed: 0, pending: 0 },
  });
  for (const p of provisions)
    expect(states.get(p.json.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 1, failed: 0 },
    });

  // The downstream system saw each item succeed exactly once.
  expect(downstream.successes.size).toBe(2000 + 20);
  const repeated = [...downstream.successes.entries()].filter(([, n]) => n !== 1);
  expect(repeated).toEqual([]);
  // The faults really happened: transient failures were retried, completed messages came back.
  expect(downstream.failures()).toBeGreaterThan(100);
  expect(e2e.log.filter((l) => /: duplicate \(delivery/.test(l)).length).toBeGreaterThan(0);

  // Table state matches: one succeeded row per mailbox, batch counters sum to the request's.
  const items = (await e2e.allEntities('items')).filter((e) =>
    String(e.partitionKey).startsWith(migration.json.id),
  );
  expect(items).toHaveLength(2000);
  expect(items.every((e) => e.Status === 'succeeded')).toBe(true);
  const batches = states.get(migration.json.id).batches as Array<{
    succeeded: number;
    failed: number;
    status: string;
  }>;
  expect(batches.reduce((sum, b) => sum + b.succeeded, 0)).toBe(2000);
  expect(batches.every((b) => b.status === 'completed')).toBe(true);
}, 200_000);
