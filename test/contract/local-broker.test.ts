/**
 * Local-broker-only behaviours: short lock, delivery-count and TTL settings (on extra entities that
 * a real namespace does not have), queues, bad input on the wire, metrics, ports and fault injection.
 */
import net from 'node:net';
import { ServiceBusAdministrationClient, ServiceBusClient } from '@azure/service-bus';
import { create_container } from 'rhea';
import { startBroker, type ExtraEntities, type RunningBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';
import { newRunId, receiveIds, receiveNone, tagged } from './scenarios';

const SHORT = 'contract-short-lock';
const extraEntities: ExtraEntities = {
  queues: [
    {
      name: 'contract-queue',
      settings: {
        lockDuration: 'PT1S',
        maxDeliveryCount: 2,
        requiresDuplicateDetection: true,
        duplicateDetectionHistoryTimeWindow: 'PT1M',
      },
    },
  ],
  topics: [
    {
      name: SHORT,
      settings: { defaultMessageTimeToLive: 'PT1M' },
      subscriptions: [
        {
          name: 'short',
          filter: { tier: 'short' },
          settings: { lockDuration: 'PT1S', maxDeliveryCount: 3, defaultMessageTimeToLive: 'PT2S' },
        },
        {
          name: 'expire-drop',
          filter: { tier: 'expire-drop' },
          settings: { defaultMessageTimeToLive: 'PT1S', deadLetteringOnMessageExpiration: false },
        },
        { name: 'by-correlation', filter: { 'sys.correlationId': 'corr-42' } },
      ],
    },
  ],
};

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('local broker', () => {
  let broker: RunningBroker;
  let client: ServiceBusClient;
  const runId = newRunId();

  beforeAll(async () => {
    broker = await startBroker({
      topology,
      port: 0,
      metricsPort: 0,
      extraEntities,
      maxMessageSizeInBytes: 64 * 1024,
    });
    client = new ServiceBusClient(broker.connectionString);
  });

  afterAll(async () => {
    await client?.close();
    await broker?.close();
  });

  const counts = (path: string) => broker.entityCounts().find((e) => e.path === path);

  /** The broker still serves the SDK end to end. */
  async function assertStillServing(): Promise<void> {
    const sender = client.createSender('contract-queue');
    const receiver = client.createReceiver('contract-queue');
    try {
      const message = tagged(runId, 'any', 'alive');
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [String(message.messageId)]);
      expect(received?.messageId).toBe(message.messageId);
      if (received) await receiver.completeMessage(received);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  }

  test('an expired lock makes the message available again with deliveryCount+1; settling it then fails with MessageLockLost', async () => {
    const sender = client.createSender(SHORT);
    const receiver = client.createReceiver(SHORT, 'short', { maxAutoLockRenewalDurationInMs: 0 });
    try {
      const message = tagged(runId, 'short', 'lock-expiry');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [first] = await receiveIds(receiver, [id]);
      if (!first) throw new Error('not received');
      const lockedFor = (first.lockedUntilUtc?.getTime() ?? 0) - Date.now();
      expect(lockedFor).toBeLessThanOrEqual(1000);
      const [second] = await receiveIds(receiver, [id], 5000);
      expect(second?.deliveryCount).toBe(1);
      await expect(receiver.completeMessage(first)).rejects.toMatchObject({ code: 'MessageLockLost' });
      if (second) await receiver.completeMessage(second);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('exceeding maxDeliveryCount dead-letters with reason MaxDeliveryCountExceeded', async () => {
    const sender = client.createSender(SHORT);
    const receiver = client.createReceiver(SHORT, 'short');
    const deadLetters = client.createReceiver(SHORT, 'short', { subQueueType: 'deadLetter' });
    try {
      const message = tagged(runId, 'short', 'poison');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const counts: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const [received] = await receiveIds(receiver, [id]);
        if (!received) throw new Error(`attempt ${attempt} not received`);
        counts.push(received.deliveryCount ?? -1);
        await receiver.abandonMessage(received);
      }
      expect(counts).toEqual([0, 1, 2]);
      const [dead] = await receiveIds(deadLetters, [id]);
      expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
      expect(dead?.deadLetterSource).toBe(`${SHORT}/Subscriptions/short`);
      if (dead) await deadLetters.completeMessage(dead);
    } finally {
      await Promise.all([sender.close(), receiver.close(), deadLetters.close()]);
    }
  });

  test('TTL expiry dead-letters (TTLExpiredException) when the subscription asks, and drops otherwise', async () => {
    const sender = client.createSender(SHORT);
    const deadLetters = client.createReceiver(SHORT, 'short', { subQueueType: 'deadLetter' });
    try {
      const byDefault = tagged(runId, 'short', 'ttl-default');
      const byMessage = tagged(runId, 'short', 'ttl-message', { timeToLive: 300 });
      const dropped = tagged(runId, 'expire-drop', 'ttl-drop');
      await sender.sendMessages([byDefault, byMessage, dropped]);
      const dead = await receiveIds(deadLetters, [String(byMessage.messageId), String(byDefault.messageId)]);
      expect(dead.map((m) => m.deadLetterReason)).toEqual(['TTLExpiredException', 'TTLExpiredException']);
      for (const message of dead) await deadLetters.completeMessage(message);
      await until('the expired message to be dropped', () =>
        counts(`${SHORT}/Subscriptions/expire-drop`)?.active === 0 ? true : undefined,
      );
      expect(counts(`${SHORT}/Subscriptions/expire-drop`)?.deadLettered).toBe(0);
    } finally {
      await Promise.all([sender.close(), deadLetters.close()]);
    }
  });

  test('correlation filters can match system properties (sys.correlationId)', async () => {
    const sender = client.createSender(SHORT);
    const receiver = client.createReceiver(SHORT, 'by-correlation');
    try {
      const match = tagged(runId, 'none', 'corr-match', { correlationId: 'corr-42' });
      const other = tagged(runId, 'none', 'corr-other', { correlationId: 'corr-43' });
      await sender.sendMessages([other, match]);
      const [received] = await receiveIds(receiver, [String(match.messageId)]);
      expect(received?.correlationId).toBe('corr-42');
      if (received) await receiver.completeMessage(received);
      expect(await receiveNone(receiver, [String(other.messageId)], 500)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('queues: send, receive, duplicate detection and peek of the dead-letter queue', async () => {
    const sender = client.createSender('contract-queue');
    const receiver = client.createReceiver('contract-queue');
    const deadLetters = client.createReceiver('contract-queue', { subQueueType: 'deadLetter' });
    try {
      const message = tagged(runId, 'any', 'queue');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [id]);
      if (!received) throw new Error('not received');
      await receiver.deadLetterMessage(received, {
        deadLetterReason: 'Inspect',
        deadLetterErrorDescription: 'kept for inspection',
      });
      expect(counts('contract-queue')).toMatchObject({ kind: 'queue', active: 0, deadLettered: 1 });
      const [peeked] = await deadLetters.peekMessages(1);
      expect(peeked?.messageId).toBe(id);
      expect(peeked?.deadLetterReason).toBe('Inspect');
      const [dead] = await receiveIds(deadLetters, [id]);
      if (dead) await deadLetters.completeMessage(dead);
      expect(counts('contract-queue')).toMatchObject({ active: 0, deadLettered: 0 });
    } finally {
      await Promise.all([sender.close(), receiver.close(), deadLetters.close()]);
    }
  });

  test('a message over the broker limit sent by a client that ignores max_message_size is rejected with amqp:link:message-size-exceeded', async () => {
    const container = create_container({ id: 'raw-client' });
    const connection = container.connect({ host: '127.0.0.1', port: broker.port, reconnect: false });
    try {
      const condition = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no disposition')), 5000);
        const sender = connection.open_sender({ target: { address: 'contract-queue' } });
        let sent = false;
        sender.on('sendable', () => {
          if (sent) return;
          sent = true;
          sender.send({ message_id: 'too-big', body: Buffer.alloc(100 * 1024, 7) });
        });
        sender.on('rejected', (context) => {
          clearTimeout(timer);
          const state = context.delivery?.remote_state as { error?: { condition?: string } } | undefined;
          resolve(String(state?.error?.condition));
        });
        sender.on('accepted', () => {
          clearTimeout(timer);
          reject(new Error('an oversized message was accepted'));
        });
      });
      expect(condition).toBe('amqp:link:message-size-exceeded');
      expect(counts('contract-queue')?.active).toBe(0);
    } finally {
      connection.close();
    }
    await assertStillServing();
  });

  test('a drain is answered even when the last credit is used by a message sent in the same turn', async () => {
    const sender = client.createSender('contract-queue');
    const message = tagged(runId, 'any', 'drain');
    await sender.sendMessages(message);
    await sender.close();
    const container = create_container({ id: 'raw-drain-client' });
    const connection = container.connect({ host: '127.0.0.1', port: broker.port, reconnect: false });
    try {
      const outcome = await new Promise<{ received: number; drained: boolean }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the drain was never answered')), 5000);
        let received = 0;
        const receiver = connection.open_receiver({
          source: { address: 'contract-queue' },
          credit_window: 0,
          autoaccept: false,
          rcv_settle_mode: 1,
        });
        receiver.on('receiver_open', () => {
          // One flow frame: credit 1 with drain set; the broker spends the credit and must still answer the drain.
          receiver.add_credit(1);
          receiver.drain_credit();
        });
        receiver.on('message', (context) => {
          received++;
          context.delivery?.accept();
        });
        receiver.on('receiver_drained', () => {
          clearTimeout(timer);
          resolve({ received, drained: true });
        });
      });
      expect(outcome).toEqual({ received: 1, drained: true });
    } finally {
      connection.close();
    }
  });

  test('garbage and malformed frames close only that connection; the broker keeps serving', async () => {
    const closesAfter = (bytes: Buffer): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect(broker.port, '127.0.0.1', () => socket.write(bytes));
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error('the broker kept a garbage connection open'));
        }, 5000);
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    await closesAfter(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const header = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    const bogusFrame = Buffer.from([0, 0, 0, 16, 2, 0, 0, 0, 0x00, 0x53, 0x99, 0xff, 0xff, 0xff, 0xff, 0xff]);
    await closesAfter(Buffer.concat([header, bogusFrame]));
    await assertStillServing();
  });

  test('GET /entities reports counts per entity; anything else is 404', async () => {
    const sender = client.createSender('provisioning');
    try {
      const message = tagged(runId, 'government', 'metrics');
      await sender.sendMessages(message);
      const response = await fetch(broker.metricsUrl ?? '');
      expect(response.status).toBe(200);
      const entities = (await response.json()) as { path: string; kind: string; active: number }[];
      expect(entities).toContainEqual({
        path: 'provisioning/Subscriptions/government',
        kind: 'subscription',
        active: 1,
        scheduled: 0,
        deadLettered: 0,
      });
      expect(entities.find((e) => e.path === 'provisioning')?.kind).toBe('topic');
      expect((await fetch(broker.metricsUrl?.replace('/entities', '/nope') ?? '')).status).toBe(404);
      expect((await fetch(broker.metricsUrl ?? '', { method: 'POST' })).status).toBe(404);
      const receiver = client.createReceiver('provisioning', 'government', {
        receiveMode: 'receiveAndDelete',
      });
      await receiveIds(receiver, [String(message.messageId)]);
      await receiver.close();
    } finally {
      await sender.close();
    }
  });

  test('one receiver link keeps flowing past 2,048 peek-lock deliveries (settled deliveries are released)', async () => {
    const total = 2500;
    const sender = client.createSender('contract-queue');
    const receiver = client.createReceiver('contract-queue');
    try {
      let batch = await sender.createMessageBatch();
      for (let i = 0; i < total; i++) {
        const message = { messageId: `${runId}-many-${i}`, body: i };
        if (!batch.tryAddMessage(message)) {
          await sender.sendMessages(batch);
          batch = await sender.createMessageBatch();
          batch.tryAddMessage(message);
        }
      }
      await sender.sendMessages(batch);
      let completed = 0;
      const order: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`completed ${completed}/${total}`)), 30_000);
        receiver.subscribe(
          {
            processMessage: async (message) => {
              order.push(message.sequenceNumber?.toNumber() ?? -1);
              await receiver.completeMessage(message);
              if (++completed === total) {
                clearTimeout(timer);
                resolve();
              }
            },
            processError: async (args) => {
              clearTimeout(timer);
              reject(args.error);
            },
          },
          { autoCompleteMessages: false, maxConcurrentCalls: 16 },
        );
      });
      expect(counts('contract-queue')?.active).toBe(0);
      // One store delivers in sequence-number order (its ready set is a heap keyed by sequence number).
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(new Set(order).size).toBe(total);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('sessions are refused at once with "not supported by the local broker" (NotImplementedError), not a lock error', async () => {
    const started = Date.now();
    await expect(client.acceptSession('contract-queue', 'session-1')).rejects.toMatchObject({
      message: expect.stringMatching(/^NotImplementedError: Sessions are not supported by the local broker/),
    });
    await expect(client.acceptNextSession('contract-queue')).rejects.toMatchObject({
      message: expect.stringContaining('Sessions are not supported by the local broker'),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    await assertStillServing();
  });

  test('ServiceBusAdministrationClient fails at once (a TLS alert on the AMQP port) instead of retrying its handshake', async () => {
    const admin = new ServiceBusAdministrationClient(broker.connectionString);
    const started = Date.now();
    await expect(admin.getQueue('contract-queue')).rejects.toMatchObject({
      code: 'EPROTO',
      message: expect.stringContaining('no application protocol'),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    const http = await fetch(`http://127.0.0.1:${broker.port}/`);
    expect(http.status).toBe(501);
    expect(await http.text()).toContain(
      'ServiceBusAdministrationClient is not supported by the local broker',
    );
    await assertStillServing();
  });

  test('starting on a port that is taken fails with an error naming the port', async () => {
    await expect(startBroker({ topology, port: broker.port, metricsPort: null })).rejects.toThrow(
      `port ${broker.port} is already in use; pass --port`,
    );
  });
});

describe('local broker fault injection: redeliverCompletedOnce', () => {
  test('the first completion of each message is ignored once, then it is redelivered with deliveryCount+1', async () => {
    const broker = await startBroker({
      topology,
      port: 0,
      metricsPort: null,
      faults: { redeliverCompletedOnce: true },
    });
    const client = new ServiceBusClient(broker.connectionString);
    const runId = newRunId();
    try {
      const sender = client.createSender('provisioning');
      const receiver = client.createReceiver('provisioning', 'health');
      const message = tagged(runId, 'health', 'fault');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [first] = await receiveIds(receiver, [id]);
      if (!first) throw new Error('not received');
      await receiver.completeMessage(first);
      const [again] = await receiveIds(receiver, [id]);
      expect(again?.deliveryCount).toBe(1);
      if (again) await receiver.completeMessage(again);
      expect(await receiveNone(receiver, [id], 500)).toHaveLength(0);
    } finally {
      await client.close();
      await broker.close();
    }
  });
});
