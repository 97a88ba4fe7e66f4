import { E2eStack, mailboxes, startLongRunningBackEnd, startE2eStack } from './support/e2e-stack';

/**
 * Real back-ends take hours: on the local stack, a back-end that answers every move `202 Accepted` with a
 * status URL and finishes it seconds later (scaled down from hours). Triage must poll on scheduled messages,
 * show the items `in-progress` meanwhile, start each move once, and fail the moves still running at their
 * deadline (here 20 s) with the reason.
 */
let e2e: E2eStack;
let backEnd: Awaited<ReturnType<typeof startLongRunningBackEnd>>;
/** Mailboxes (by their place in the inventory) whose move never finishes. */
const stuckIndexes = new Set([7, 70, 170]);
const stuck = new Set([...stuckIndexes].map((i) => `user${String(i).padStart(5, '0')}@contoso.example`));
const batchSize = 50;

beforeAll(async () => {
  backEnd = await startLongRunningBackEnd((key) => {
    if (key.endsWith(':provision')) return 3_000;
    // Items are keyed {requestId}:{batch}:{index in batch}.
    const [batch, index] = key.split(':').slice(-2).map(Number) as [number, number];
    const place = (batch - 1) * batchSize + index;
    return stuckIndexes.has(place) ? Infinity : 2_000 + (index % 4) * 1_000;
  });
  e2e = await startE2eStack({
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: backEnd.url,
      TRIAGE_EXECUTOR_TIMEOUT_MS: '5000',
      TRIAGE_EXECUTOR_POLL_INTERVAL_MS: '1000',
      TRIAGE_EXECUTOR_DEADLINE_MS: '20000',
      TRIAGE_BATCH_SIZE: String(batchSize),
    },
  });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
  await backEnd?.close();
});

test('moves answered 202 are polled to their end: in-progress meanwhile, each started once, the stuck ones failed at the deadline', async () => {
  await e2e.registerOrg('nhs-trust', 'health');
  const migration = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'nhs-trust',
    mailboxes: mailboxes(200),
  });
  expect(migration.status).toBe(202);
  const provisioning = await e2e.http('POST', '/api/requests', {
    kind: 'provision',
    orgId: 'nhs-trust',
    resource: { type: 'vm', quantity: 1, region: 'uksouth' },
  });
  const id = migration.json.id as string;

  // While the back-end runs them, the API shows the moves in progress.
  let seen = { items: 0, progress: 0 };
  const watchUntil = Date.now() + 30_000;
  while (Date.now() < watchUntil && (seen.items === 0 || seen.progress === 0)) {
    const listed = await e2e.http('GET', `/api/requests/${id}/items?status=in-progress&limit=200`);
    const view = await e2e.http('GET', `/api/requests/${id}`);
    seen = {
      items: Math.max(seen.items, (listed.json.items as unknown[]).length),
      progress: Math.max(seen.progress, Number(view.json.progress?.inProgress ?? 0)),
    };
    if (seen.items > 0 && listed.json.items[0]) {
      expect(listed.json.items[0]).toMatchObject({
        status: 'in-progress',
        operation: { startedAt: expect.any(String) },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  expect(seen.items).toBeGreaterThan(0);
  expect(seen.progress).toBeGreaterThan(0);

  const states = await e2e.waitForFinal([id, provisioning.json.id as string], 120_000);
  expect(states.get(id)).toMatchObject({
    status: 'completed-with-errors',
    progress: { total: 200, succeeded: 197, failed: 3, pending: 0 },
  });
  expect(states.get(provisioning.json.id as string)).toMatchObject({
    status: 'completed',
    progress: { succeeded: 1 },
  });
  const failed = await e2e.http('GET', `/api/requests/${id}/items?status=failed`);
  expect(new Set((failed.json.items as Array<{ address: string }>).map((i) => i.address))).toEqual(stuck);
  for (const item of failed.json.items as Array<{ reason: string }>) {
    expect(item.reason).toMatch(/still in progress at its deadline/);
  }
  // Each move was started exactly once (the polls did the waiting), and polled more than once on average.
  expect(backEnd.starts.size).toBe(201);
  expect([...backEnd.starts.values()].every((n) => n === 1)).toBe(true);
  expect(backEnd.reads()).toBeGreaterThan(400);
}, 180_000);
