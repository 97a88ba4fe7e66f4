import { E2eStack, mailboxes, startCountingExecutorServer, startE2eStack } from './support/e2e-stack';

/**
 * Crash safety: the host process is killed (SIGKILL) in the middle of a 5,000-item migration and started
 * again. Every item ends accounted for exactly once in the tables: nothing lost, nothing doubled.
 * Messages the dead host held stay locked for the subscription's lockDuration (PT1M), as on Service Bus,
 * so this test takes a little over a minute.
 */
let e2e: E2eStack;
let downstream: Awaited<ReturnType<typeof startCountingExecutorServer>>;

beforeAll(async () => {
  downstream = await startCountingExecutorServer({ failureRate: 0, delayMs: 25 });
  e2e = await startE2eStack({
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: downstream.url,
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '3',
      TRIAGE_EXECUTOR_TIMEOUT_MS: '5000',
      TRIAGE_EXECUTOR_BACKOFF_MS: '10',
      TRIAGE_BATCH_SIZE: '250',
      TRIAGE_ITEM_CONCURRENCY: '4',
    },
  });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
  await downstream?.close();
});

test('kill -9 the host mid-migration, restart it: every item accounted for once', async () => {
  await e2e.registerOrg('gov-dept', 'government');
  const submitted = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'gov-dept',
    mailboxes: mailboxes(5_000),
  });
  expect(submitted.status).toBe(202);
  const id = submitted.json.id as string;

  // Wait until the migration is visibly under way, then kill the host without warning.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await e2e.http('GET', `/api/requests/${id}`);
    const executed = downstream.successes.size;
    if (executed >= 1500) break;
    if (r.json?.status === 'completed')
      throw new Error('finished before the crash could be injected; slow the executor down');
    if (Date.now() > deadline) throw new Error(`migration did not start: ${r.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await e2e.stack.killHost();
  const atCrash = downstream.successes.size;
  expect(atCrash).toBeLessThan(5000);

  await e2e.stack.restartHost();
  const states = await e2e.waitForFinal([id], 180_000);
  const final = states.get(id);
  expect(final).toMatchObject({
    status: 'completed',
    batchCount: 20,
    batchesCompleted: 20,
    progress: { total: 5000, succeeded: 5000, failed: 0, pending: 0 },
  });

  const items = (await e2e.allEntities('items')).filter((e) => String(e.partitionKey).startsWith(id));
  expect(items).toHaveLength(5000);
  expect(new Set(items.map((e) => e.Address)).size).toBe(5000);
  expect(items.every((e) => e.Status === 'succeeded')).toBe(true);
  const batches = final.batches as Array<{ succeeded: number; total: number; status: string }>;
  expect(batches.reduce((sum, b) => sum + b.succeeded, 0)).toBe(5000);
  expect(batches.every((b) => b.status === 'completed' && b.succeeded === b.total)).toBe(true);

  // Every item reached the downstream system; only items in flight at the kill were sent again (same Idempotency-Key).
  expect(downstream.successes.size).toBe(5000);
  const resent = [...downstream.successes.values()].filter((n) => n > 1).length;
  console.log(
    `crash-safety: ${atCrash} items done at the kill; ${resent} in-flight items re-sent with the same Idempotency-Key`,
  );
  // Results are written every 100 items or 200 ms: at most ~16 concurrent batches × (4 in flight + 200 ms of
  // results at 4 × 25 ms) can be lost with the process, far below one 250-item batch each.
  expect(resent).toBeLessThanOrEqual(16 * (4 + 32) + 16);
}, 300_000);
