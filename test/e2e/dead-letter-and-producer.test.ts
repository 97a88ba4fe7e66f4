import { ServiceBusClient } from '@azure/service-bus';
import { toServiceBusMessage } from '../../shared/adapters/servicebus-publisher';
import { E2eStack, mailboxes, startCountingExecutorServer, startE2eStack } from './support/e2e-stack';

/**
 * Failure paths on the whole stack: a downstream outage exhausts the deliveries (dead-letter, visible in
 * GET /api/requests/{id}, replayable with POST …/retry), and a trusted producer publishing directly with
 * a tier higher than the organisation's is re-routed to its real tier.
 */
let e2e: E2eStack;
const downstreamOptions = { failureRate: 1, seed: 3 };
let downstream: Awaited<ReturnType<typeof startCountingExecutorServer>>;

beforeAll(async () => {
  downstream = await startCountingExecutorServer(downstreamOptions);
  e2e = await startE2eStack({
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: downstream.url,
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '1',
      TRIAGE_EXECUTOR_BACKOFF_MS: '0',
      TRIAGE_BATCH_SIZE: '50',
      // Back-off in milliseconds and a 6-second total, so the outage below is given up quickly.
      TRIAGE_RETRY_BASE_MS: '100',
      TRIAGE_RETRY_MAX_DELAY_MS: '1000',
      TRIAGE_RETRY_MAX_TOTAL_MS: '6000',
    },
  });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
  await downstream?.close();
});

test('an outage is backed off, given up after the total time, visible, and retry finishes the work', async () => {
  downstreamOptions.failureRate = 1;
  await e2e.registerOrg('nhs-trust', 'health');
  const p = await e2e.http('POST', '/api/requests', {
    kind: 'provision',
    orgId: 'nhs-trust',
    resource: { type: 'vm', quantity: 1, region: 'uksouth' },
  });
  const m = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'nhs-trust',
    mailboxes: mailboxes(100),
  });
  const states = await e2e.waitForFinal([p.json.id, m.json.id], 90_000);
  expect(states.get(p.json.id)).toMatchObject({ status: 'failed', deadLettered: true });
  expect(states.get(m.json.id)).toMatchObject({
    status: 'failed',
    deadLettered: true,
    progress: { total: 100, succeeded: 0, failed: 100, pending: 0 },
  });
  expect(states.get(m.json.id).history.some((h: { type: string }) => h.type === 'dead-letter')).toBe(true);

  // Back-off, not redelivery: the work was retried on scheduled successors and given up in the records,
  // so nothing reached a dead-letter queue, and every call the executor got was a scheduled attempt.
  expect(states.get(m.json.id).reason ?? states.get(p.json.id).reason).toMatch(/transient failures for/);
  const client = new ServiceBusClient(e2e.stack.serviceBusConnectionString);
  try {
    for (const topic of ['provisioning', 'migration']) {
      const dlq = client.createReceiver(topic, 'health', { subQueueType: 'deadLetter' });
      expect(await dlq.peekMessages(10)).toHaveLength(0);
      await dlq.close();
    }
  } finally {
    await client.close();
  }
  expect(downstream.failures()).toBeGreaterThan(3);

  // The downstream system recovers; retry re-queues the failed work only.
  downstreamOptions.failureRate = 0;
  expect((await e2e.http('POST', `/api/requests/${p.json.id}/retry`)).status).toBe(202);
  expect((await e2e.http('POST', `/api/requests/${m.json.id}/retry`)).status).toBe(202);
  const after = await e2e.waitForFinal([p.json.id, m.json.id], 60_000);
  expect(after.get(p.json.id)).toMatchObject({ status: 'completed', deadLettered: false, retryCount: 1 });
  expect(after.get(m.json.id)).toMatchObject({
    status: 'completed',
    progress: { total: 100, succeeded: 100, failed: 0, pending: 0 },
  });
  expect([...downstream.successes.values()].every((n) => n === 1)).toBe(true);
  expect(downstream.successes.size).toBe(101);
}, 180_000);

test('a message dead-lettered for a reason other than the executor is visible on the request and replayable', async () => {
  downstreamOptions.failureRate = 0;
  await e2e.registerOrg('late-dept', 'government');
  // A trusted producer publishes a migration whose inventory is not in Blob yet: every planning delivery
  // fails (not the executor), so the message exhausts its deliveries.
  const inventory = 'late-dept/late-inventory.ndjson';
  const client = new ServiceBusClient(e2e.stack.serviceBusConnectionString);
  try {
    const sender = client.createSender('migration');
    await sender.sendMessages(
      toServiceBusMessage(
        {
          schemaVersion: 1,
          kind: 'migrate',
          requestId: 'direct-late-0001',
          orgId: 'late-dept',
          tier: 'government',
          inventory,
        },
        'direct-late-0001',
      ),
    );
    await sender.close();
  } finally {
    await client.close();
  }
  let state: { deadLettered?: boolean; [key: string]: unknown } | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const r = await e2e.http('GET', '/api/requests/direct-late-0001');
    state = r.status === 200 ? r.json : undefined;
    if (state?.deadLettered) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(state).toMatchObject({ status: 'received', deadLettered: true, retryCount: 0 });
  expect(state?.reason).toMatch(/given up: transient failures for \d+ s .*is missing/);
  const history = state?.history as Array<{ type: string }>;
  expect(history.filter((h) => h.type === 'dead-letter')).toHaveLength(1);

  // The inventory arrives; retry replays the migrate message under a new messageId.
  const ndjson = mailboxes(30)
    .map((m) => JSON.stringify(m))
    .join('\n');
  await e2e.putInventoryBlob(inventory, ndjson, 'late-dept');
  const retry = await e2e.http('POST', '/api/requests/direct-late-0001/retry');
  expect(retry.status).toBe(202);
  expect(retry.json).toMatchObject({ deadLettered: false, retryCount: 1 });
  const after = await e2e.waitForFinal(['direct-late-0001'], 60_000);
  expect(after.get('direct-late-0001')).toMatchObject({
    status: 'completed',
    deadLettered: false,
    retryCount: 1,
    progress: { total: 30, succeeded: 30, failed: 0, pending: 0 },
  });
  expect((await e2e.http('POST', '/api/requests/direct-late-0001/retry')).status).toBe(409);
}, 120_000);

test('a trusted producer publishing directly gets a request record; a claimed higher tier is re-routed', async () => {
  downstreamOptions.failureRate = 0;
  await e2e.registerOrg('corner-shop', 'standard');
  const client = new ServiceBusClient(e2e.stack.serviceBusConnectionString);
  try {
    const sender = client.createSender('provisioning');
    await sender.sendMessages(
      toServiceBusMessage(
        {
          schemaVersion: 1,
          kind: 'provision',
          requestId: 'direct-0001',
          orgId: 'corner-shop',
          tier: 'health',
          resource: { type: 'vm', quantity: 1, region: 'uksouth' },
        },
        'direct-0001',
      ),
    );
    await sender.close();
  } finally {
    await client.close();
  }
  const deadline = Date.now() + 30_000;
  while ((await e2e.http('GET', '/api/requests/direct-0001')).status === 404 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const states = await e2e.waitForFinal(['direct-0001'], 30_000);
  const state = states.get('direct-0001');
  expect(state).toMatchObject({ status: 'completed', tier: 'standard', processedBy: 'provision-standard' });
  expect(
    state.history.some(
      (h: { type: string; message?: string }) =>
        h.type === 'reroute' && /claimed tier health/.test(h.message ?? ''),
    ),
  ).toBe(true);
  expect(e2e.log.some((l) => /provision-health: rerouted/.test(l))).toBe(true);
}, 60_000);
