import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startBroker, type RunningBroker } from '../../local/servicebus/broker';
import { ServiceBusPublisher } from '../../shared/adapters/servicebus-publisher';
import { messageIds } from '../../shared/domain/batches';
import type { WorkMessage } from '../../shared/domain/messages';
import { topology } from '../../shared/topology';

/** The typed producer against the local broker (the unmodified SDK on both sides, no mocks). */
let broker: RunningBroker;
let publisher: ServiceBusPublisher;
let client: ServiceBusClient;

beforeAll(async () => {
  broker = await startBroker({ topology, port: 0, metricsPort: null });
  publisher = new ServiceBusPublisher({ connectionString: broker.connectionString });
  client = new ServiceBusClient(broker.connectionString);
});
afterAll(async () => {
  await publisher?.close();
  await client?.close();
  await broker?.close();
});

async function receiveAll(
  topic: string,
  subscription: string,
  expected: number,
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(topic, subscription, { receiveMode: 'receiveAndDelete' });
  const received: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + 10_000;
  while (received.length < expected && Date.now() < deadline) {
    received.push(...(await receiver.receiveMessages(expected - received.length, { maxWaitTimeInMs: 300 })));
  }
  // One more short receive proves nothing extra arrived.
  received.push(...(await receiver.receiveMessages(10, { maxWaitTimeInMs: 200 })));
  await receiver.close();
  return received;
}

const provision = (requestId: string, tier: string): WorkMessage => ({
  schemaVersion: 1,
  kind: 'provision',
  requestId,
  orgId: 'org-1',
  tier,
  resource: { type: 'vm', quantity: 1, region: 'uksouth' },
});

test('work messages carry the application properties and land only on their tier subscription', async () => {
  const tiers = topology.tiers.map((t) => t.name);
  await publisher.publishWork(
    tiers.map((tier) => ({
      message: provision(`p-${tier}`, tier),
      messageId: messageIds.request(`p-${tier}`),
    })),
  );
  for (const tier of tiers) {
    const messages = await receiveAll('provisioning', tier, 1);
    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m!.messageId).toBe(`p-${tier}`);
    expect(m!.applicationProperties).toEqual({
      tier,
      kind: 'provision',
      requestId: `p-${tier}`,
      orgId: 'org-1',
      schemaVersion: 1,
    });
    expect(m!.body).toMatchObject({ kind: 'provision', tier, requestId: `p-${tier}` });
  }
});

test('batch messages go to the migration topic with deterministic ids; duplicates are dropped', async () => {
  const batches: WorkMessage[] = Array.from({ length: 150 }, (_, i) => ({
    schemaVersion: 1,
    kind: 'migrate-batch',
    requestId: 'm-1',
    orgId: 'org-1',
    tier: 'government',
    batchNumber: i + 1,
    batchCount: 150,
  }));
  const outgoing = batches.map((message, i) => ({ message, messageId: messageIds.batch('m-1', i + 1) }));
  await publisher.publishWork(outgoing);
  await publisher.publishWork(outgoing.slice(0, 20)); // a retried publish inside the duplicate-detection window
  const received = await receiveAll('migration', 'government', 150);
  expect(received).toHaveLength(150);
  expect(new Set(received.map((m) => m.messageId)).size).toBe(150);
  expect(received[0]!.messageId).toMatch(/^m-1:batch:\d{4}$/);
  expect(await receiveAll('migration', 'health', 0)).toHaveLength(0);
});

test('typed notifications reach the status feed with their type as a filterable property', async () => {
  await publisher.publishNotification({
    schemaVersion: 1,
    type: 'request.deferred',
    requestId: 'r-9',
    orgId: 'org-1',
    tier: 'health',
    status: 'deferred',
    position: 3,
    eta: '2026-12-01T10:00:00.000Z',
    reason: 'pool vm@uksouth is full',
    at: new Date().toISOString(),
    eventId: 'e1',
  });
  const [m] = await receiveAll('notifications', 'status-feed', 1);
  expect(m!.applicationProperties).toMatchObject({
    type: 'request.deferred',
    status: 'deferred',
    requestId: 'r-9',
  });
  expect(m!.subject).toBe('request.deferred');
  expect(m!.body).toMatchObject({
    position: 3,
    eta: '2026-12-01T10:00:00.000Z',
    reason: 'pool vm@uksouth is full',
  });
  expect(m!.messageId).toBe('r-9:event:e1');
});
