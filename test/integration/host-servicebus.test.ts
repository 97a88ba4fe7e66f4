/**
 * The local host's Service Bus triggers against the local broker, through the unmodified SDK:
 * trigger input and metadata, complete on success, abandon → redelivery → dead-letter on failure,
 * functionTimeout, and host.json's maxConcurrentCalls.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { startHost, type RunningHost } from '../../local/host/host';
import { startBroker, type RunningBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';
import {
  ensureFixtureBuilt,
  hostTestEntities,
  hostTestSettings,
  waitFor,
  writeTestHostJson,
} from '../support/host-fixture';

interface Observations {
  serviceBus: Array<{
    functionName: string;
    body: unknown;
    bodyType: string;
    triggerMetadata: Record<string, unknown>;
  }>;
  failingAttempts: Array<{ messageId: unknown; deliveryCount: unknown }>;
  hangingAttempts: Array<{ messageId: unknown; deliveryCount: unknown; completed: boolean }>;
  concurrency: { current: number; max: number; done: number };
  batches: Array<{ bodies: unknown[]; messageIds: unknown }>;
  longRuns: Array<{ messageId: unknown; deliveryCount: unknown; finished: boolean }>;
}

const maxConcurrentCalls = 3;
let broker: RunningBroker;
let host: RunningHost;
let client: ServiceBusClient;
const lines: string[] = [];

beforeAll(async () => {
  const appEntry = await ensureFixtureBuilt();
  broker = await startBroker({ topology, port: 0, metricsPort: null, extraEntities: hostTestEntities });
  host = await startHost({
    appEntry,
    port: 0,
    settings: { ServiceBusConnection: broker.connectionString, ...hostTestSettings },
    hostJsonPath: writeTestHostJson({
      functionTimeout: '00:00:04',
      extensions: {
        serviceBus: {
          maxConcurrentCalls,
          maxAutoLockRenewalDuration: '00:05:00',
          autoCompleteMessages: true,
        },
      },
    }),
    log: (line) => lines.push(line),
  });
  client = new ServiceBusClient(broker.connectionString);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await host?.close();
  await broker?.close();
});

async function observations(): Promise<Observations> {
  return (await (await fetch(`${host.url}/api/observations`)).json()) as Observations;
}

function counts(path: string): { active: number; deadLettered: number } {
  const entity = broker.entityCounts().find((e) => e.path.toLowerCase() === path.toLowerCase());
  if (!entity) throw new Error(`no entity ${path}`);
  return entity;
}

test('a topic message reaches its function with the body and the trigger metadata the real host fills', async () => {
  const sender = client.createSender('provisioning');
  await sender.sendMessages({
    body: { requestId: 'r-1', schemaVersion: 1 },
    messageId: 'msg-json-1',
    contentType: 'application/json',
    correlationId: 'corr-1',
    subject: 'provision',
    replyTo: 'replies',
    to: 'someone',
    applicationProperties: { tier: 'health', kind: 'provision', requestId: 'r-1' },
  });
  await sender.sendMessages({
    body: 'plain text',
    messageId: 'msg-text-1',
    applicationProperties: { tier: 'health' },
  });
  // Another tier's message goes to another subscription, not to this function.
  await sender.sendMessages({
    body: { other: true },
    messageId: 'msg-other-tier',
    applicationProperties: { tier: 'standard' },
  });
  await sender.close();

  const seen = await waitFor('both health messages', async () => {
    const o = await observations();
    return o.serviceBus.length >= 2 ? o.serviceBus : undefined;
  });
  const json = seen.find((r) => r.triggerMetadata.messageId === 'msg-json-1');
  expect(json?.functionName).toBe('sb-record');
  expect(json?.body).toEqual({ requestId: 'r-1', schemaVersion: 1 });
  const metadata = json?.triggerMetadata ?? {};
  expect(metadata).toMatchObject({
    messageId: 'msg-json-1',
    deliveryCount: 1,
    contentType: 'application/json',
    correlationId: 'corr-1',
    subject: 'provision',
    label: 'provision',
    replyTo: 'replies',
    to: 'someone',
    applicationProperties: { tier: 'health', kind: 'provision', requestId: 'r-1' },
    userProperties: { tier: 'health', kind: 'provision', requestId: 'r-1' },
  });
  expect(typeof metadata.sequenceNumber).toBe('number');
  expect(metadata.lockToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  for (const key of ['enqueuedTimeUtc', 'expiresAtUtc', 'lockedUntil']) {
    expect(Number.isNaN(Date.parse(String(metadata[key])))).toBe(false);
  }
  expect(Date.parse(String(metadata.lockedUntil))).toBeGreaterThan(
    Date.parse(String(metadata.enqueuedTimeUtc)),
  );

  const text = seen.find((r) => r.triggerMetadata.messageId === 'msg-text-1');
  expect(text).toMatchObject({ body: 'plain text', bodyType: 'string' });
  expect(seen.some((r) => r.triggerMetadata.messageId === 'msg-other-tier')).toBe(false);

  // Completed on success: nothing is left on the subscription.
  await waitFor('the subscription to be empty', () =>
    counts('provisioning/Subscriptions/health').active === 0 ? true : undefined,
  );
  expect(
    lines.some((l) => /^Executing 'Functions\.sb-record' \(Reason='\(null\)', Id=[0-9a-f-]+\)$/.test(l)),
  ).toBe(true);
});

test('a throwing function abandons: redelivered with deliveryCount+1, dead-lettered at maxDeliveryCount', async () => {
  const sender = client.createSender('host-test');
  await sender.sendMessages({
    body: { doomed: true },
    messageId: 'doomed-1',
    applicationProperties: { kind: 'fail' },
  });
  await sender.close();

  const attempts = await waitFor('three failed attempts', async () => {
    const o = await observations();
    const mine = o.failingAttempts.filter((a) => a.messageId === 'doomed-1');
    return mine.length >= 3 ? mine : undefined;
  });
  expect(attempts.map((a) => a.deliveryCount)).toEqual([1, 2, 3]);

  const deadLetters = client.createReceiver('host-test', 'failing', {
    subQueueType: 'deadLetter',
    receiveMode: 'receiveAndDelete',
  });
  const [dead] = await deadLetters.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
  await deadLetters.close();
  expect(dead?.messageId).toBe('doomed-1');
  expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
  expect(counts('host-test/Subscriptions/failing').active).toBe(0);
  expect((await observations()).failingAttempts.filter((a) => a.messageId === 'doomed-1')).toHaveLength(3);
});

test('functionTimeout abandons a hanging invocation and the redelivery succeeds', async () => {
  const sender = client.createSender('host-test');
  await sender.sendMessages({ body: 'hang', messageId: 'hang-1', applicationProperties: { kind: 'hang' } });
  await sender.close();

  const attempts = await waitFor(
    'the redelivery to complete',
    async () => {
      const o = await observations();
      const mine = o.hangingAttempts.filter((a) => a.messageId === 'hang-1');
      return mine.some((a) => a.completed) ? mine : undefined;
    },
    15_000,
  );
  expect(attempts.map((a) => [a.deliveryCount, a.completed])).toEqual([
    [1, false],
    [2, true],
  ]);
  expect(lines.some((l) => l.includes('exceeded by function: Functions.sb-hangs-once'))).toBe(true);
  await waitFor('the subscription to be empty', () =>
    counts('host-test/Subscriptions/hangs').active === 0 ? true : undefined,
  );
});

test("host.json's maxConcurrentCalls bounds concurrent invocations of one function", async () => {
  const total = 12;
  const sender = client.createSender('host-test');
  await sender.sendMessages(
    Array.from({ length: total }, (_, i) => ({
      body: { i },
      messageId: `slow-${i}`,
      applicationProperties: { kind: 'slow' },
    })),
  );
  await sender.close();

  const started = Date.now();
  const final = await waitFor(
    'every slow message',
    async () => {
      const o = await observations();
      return o.concurrency.done >= total ? o.concurrency : undefined;
    },
    20_000,
  );
  // Exactly the limit: never above it, and the host really runs that many at once.
  expect(final.max).toBe(maxConcurrentCalls);
  // 12 messages × 150 ms at 3 at a time is at least 4 rounds.
  expect(Date.now() - started).toBeGreaterThanOrEqual(550);
});

test("cardinality 'many' delivers arrays of bodies with …Array metadata, and completes them", async () => {
  const sender = client.createSender('host-test-batch');
  const batch = await sender.createMessageBatch();
  for (let i = 0; i < 5; i++) batch.tryAddMessage({ body: { n: i }, messageId: `batch-${i}` });
  await sender.sendMessages(batch);
  await sender.close();

  const batches = await waitFor('all five messages in batches', async () => {
    const o = await observations();
    return o.batches.flatMap((b) => b.bodies).length >= 5 ? o.batches : undefined;
  });
  expect(batches.flatMap((b) => b.bodies)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
  expect(batches.flatMap((b) => b.messageIds as unknown[])).toEqual([0, 1, 2, 3, 4].map((n) => `batch-${n}`));
  await waitFor('the batch queue to be empty', () =>
    counts('host-test-batch').active === 0 ? true : undefined,
  );
});

test('locks are renewed while a handler outlives the lock duration, so the message is delivered once', async () => {
  const sender = client.createSender('host-test');
  await sender.sendMessages({ body: 'long', messageId: 'long-1', applicationProperties: { kind: 'long' } });
  await sender.close();

  await waitFor('the long run to finish', async () => {
    const o = await observations();
    return o.longRuns.some((r) => r.messageId === 'long-1' && r.finished) ? true : undefined;
  });
  await waitFor('the subscription to be empty', () =>
    counts('host-test/Subscriptions/long').active === 0 ? true : undefined,
  );
  const runs = (await observations()).longRuns.filter((r) => r.messageId === 'long-1');
  expect(runs).toEqual([{ messageId: 'long-1', deliveryCount: 1, finished: true }]);
  expect(counts('host-test/Subscriptions/long').deadLettered).toBe(0);
});
