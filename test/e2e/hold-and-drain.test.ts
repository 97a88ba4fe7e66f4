import { E2eStack, mailboxes, startCountingExecutorServer, startE2eStack } from './support/e2e-stack';

/**
 * Hold and drain on the whole local stack: a tier held mid-migration stops at its batches' next item
 * boundary and drains; nothing of it starts while held (a migration's rest, a new provisioning), other
 * tiers run on; resumed, every item succeeds exactly once at the downstream system — with completed
 * messages redelivered once more and 5 % transient failures.
 */
let e2e: E2eStack;
let downstream: Awaited<ReturnType<typeof startCountingExecutorServer>>;

beforeAll(async () => {
  downstream = await startCountingExecutorServer({ failureRate: 0.05, seed: 11, delayMs: 15 });
  e2e = await startE2eStack({
    redeliverCompletedOnce: true,
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: downstream.url,
      TRIAGE_EXECUTOR_TIMEOUT_MS: '5000',
      TRIAGE_EXECUTOR_BACKOFF_MS: '0',
      TRIAGE_BATCH_SIZE: '50',
      TRIAGE_ITEM_CONCURRENCY: '4',
    },
  });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
  await downstream?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutInMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutInMs} ms: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

test('a held tier drains and starts nothing; resumed, it finishes with every item exactly once', async () => {
  await e2e.registerOrg('hold-shop', 'standard');
  await e2e.registerOrg('hold-trust', 'health');
  const migration = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'hold-shop',
    mailboxes: mailboxes(800, 'hold.example'),
  });
  expect(migration.status).toBe(202);
  const id = migration.json.id as string;
  const itemKeys = () => [...downstream.successes.keys()].filter((k) => k.startsWith(`${id}:`));
  await until(
    async () => itemKeys().length,
    (n) => n >= 40,
    60_000,
  );

  // Held mid-migration by the caller, with a reason: the drain report says what still runs until nothing does.
  const held = await e2e.http('POST', '/api/tiers/standard/hold', { reason: 'back-end upgrade' });
  expect(held.status).toBe(201);
  expect(held.json).toMatchObject({
    held: true,
    hold: { reason: 'back-end upgrade', heldBy: { id: 'e2e-harness' } },
  });
  const drained = await until(
    async () => (await e2e.http('GET', '/api/tiers/standard/hold')).json,
    (r) => r.drained === true,
    30_000,
  );
  expect(drained).toMatchObject({ held: true, drained: true, running: { batches: 0, provisionings: 0 } });

  // Held: nothing of the tier starts (the migration's rest, a new provisioning); another tier runs on.
  const atDrain = itemKeys().length;
  const callsAtDrain = downstream.calls();
  expect(atDrain).toBeLessThan(800);
  const newProvision = await e2e.http('POST', '/api/requests', {
    kind: 'provision',
    orgId: 'hold-shop',
    resource: { type: 'vm', quantity: 1, region: 'uksouth' },
  });
  const health = await e2e.http('POST', '/api/requests', {
    kind: 'provision',
    orgId: 'hold-trust',
    resource: { type: 'vm', quantity: 1, region: 'uksouth' },
  });
  const healthDone = await e2e.waitForFinal([health.json.id], 30_000);
  expect(healthDone.get(health.json.id)).toMatchObject({ status: 'completed' });
  await sleep(3_000);
  expect(itemKeys().length).toBe(atDrain);
  expect(downstream.successes.has(`${newProvision.json.id}:provision`)).toBe(false);
  // Only the health provisioning's calls since the drain.
  expect(downstream.calls() - callsAtDrain).toBeLessThanOrEqual(5);
  const view = (await e2e.http('GET', `/api/requests/${id}`)).json;
  expect(view.status).toBe('running');
  expect(view.hold).toMatchObject({ scope: 'tier', target: 'standard', reason: 'back-end upgrade' });
  const parked = (await e2e.http('GET', '/api/tiers/standard/hold')).json.parked as number;
  expect(parked).toBeGreaterThan(0);
  const listed = (await e2e.http('GET', '/api/holds')).json.items as Array<{ target: string }>;
  expect(listed.map((h) => h.target)).toEqual(['standard']);

  // Resumed: the parked work is sent again; every item succeeds exactly once.
  const resumed = await e2e.http('POST', '/api/tiers/standard/resume');
  expect(resumed.status).toBe(200);
  expect(resumed.json).toMatchObject({ resumed: { target: 'standard' }, sent: parked });
  const states = await e2e.waitForFinal([id, newProvision.json.id], 120_000);
  expect(states.get(id)).toMatchObject({
    status: 'completed',
    batchesCompleted: 16,
    progress: { total: 800, succeeded: 800, failed: 0, pending: 0 },
  });
  expect(states.get(id).hold).toBeUndefined();
  expect(states.get(newProvision.json.id)).toMatchObject({ status: 'completed' });
  expect(itemKeys()).toHaveLength(800);
  expect([...downstream.successes.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect((await e2e.http('GET', '/api/tiers/standard/hold')).json).toMatchObject({ held: false, parked: 0 });
}, 240_000);
