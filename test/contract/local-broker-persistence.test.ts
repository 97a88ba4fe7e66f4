/**
 * The broker with a data folder (`--data`): a stopped — or killed — broker restarted on the same folder
 * has every message back (active, deferred, scheduled, dead-lettered), its duplicate-detection window
 * and its sequence numbers; only locks end, as if they expired. A torn journal tail costs nothing that
 * was acknowledged.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { forEachLine } from '../../local/child-process';
import { findFreePort } from '../../local/ports';
import { startBroker, type ExtraEntities, type RunningBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';
import { receiveIds } from './scenarios';

const entities: ExtraEntities = {
  queues: [
    {
      name: 'kept',
      settings: {
        requiresDuplicateDetection: true,
        duplicateDetectionHistoryTimeWindow: 'PT10M',
        maxDeliveryCount: 5,
      },
    },
  ],
  topics: [{ name: 'kept-topic', subscriptions: [{ name: 'all', filter: null }] }],
};

const newFolder = (): string => mkdtempSync(path.join(os.tmpdir(), 'broker-data-'));

async function withClient<T>(
  broker: RunningBroker,
  work: (client: ServiceBusClient) => Promise<T>,
): Promise<T> {
  const client = new ServiceBusClient(broker.connectionString);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

const ids = (messages: ServiceBusReceivedMessage[]): string[] => messages.map((m) => String(m.messageId));

test('a stopped broker restarted on the same folder has its messages, schedules, dead-letters, deferrals and duplicate window back; locks end', async () => {
  const folder = newFolder();
  let broker = await startBroker({
    topology,
    port: 0,
    metricsPort: null,
    extraEntities: entities,
    dataFolder: folder,
  });
  const state = await withClient(broker, async (client) => {
    const sender = client.createSender('kept');
    const topicSender = client.createSender('kept-topic');
    const receiver = client.createReceiver('kept');
    await sender.sendMessages([
      { messageId: 'locked-1', body: 'locked' },
      { messageId: 'deferred-1', body: 'deferred' },
      { messageId: 'dead-1', body: 'dead' },
      { messageId: 'dup-1', body: 'first copy' },
    ]);
    const [scheduledSeq] = await sender.scheduleMessages(
      { messageId: 'scheduled-1', body: 's' },
      new Date(Date.now() + 4_000),
    );
    const [topicScheduledSeq] = await topicSender.scheduleMessages(
      { messageId: 'topic-scheduled-1', body: 't' },
      new Date(Date.now() + 4_000),
    );
    const received = await receiveIds(receiver, ['locked-1', 'deferred-1', 'dead-1', 'dup-1']);
    const byId = new Map(received.map((m) => [String(m.messageId), m]));
    const deferred = byId.get('deferred-1');
    await receiver.deferMessage(deferred!);
    await receiver.deadLetterMessage(byId.get('dead-1')!, {
      deadLetterReason: 'Kept',
      deadLetterErrorDescription: 'kept',
    });
    await receiver.completeMessage(byId.get('dup-1')!);
    // locked-1 stays locked when the broker stops; active-1 was never received.
    await sender.sendMessages({
      messageId: 'active-1',
      body: { n: 1 },
      applicationProperties: { kind: 'active' },
    });
    await Promise.all([sender.close(), topicSender.close()]);
    return {
      deferredSeq: deferred!.sequenceNumber!,
      scheduledSeq: scheduledSeq!,
      topicScheduledSeq: topicScheduledSeq!,
      lastSeq: Math.max(...received.map((m) => m.sequenceNumber!.toNumber())),
    };
  });
  await broker.close();

  broker = await startBroker({
    topology,
    port: 0,
    metricsPort: null,
    extraEntities: entities,
    dataFolder: folder,
  });
  try {
    await withClient(broker, async (client) => {
      const receiver = client.createReceiver('kept');
      const sender = client.createSender('kept');
      // The duplicate-detection window survived: a resend of a completed id is dropped.
      await sender.sendMessages({ messageId: 'dup-1', body: 'second copy' });
      await sender.sendMessages({ messageId: 'after-restart', body: 'new' });
      const back = await receiveIds(receiver, ['active-1', 'locked-1', 'after-restart'], 5_000);
      expect(ids(back)).toEqual(['active-1', 'locked-1', 'after-restart']);
      const [active, locked, fresh] = back;
      expect(active?.body).toEqual({ n: 1 });
      expect(active?.applicationProperties?.kind).toBe('active');
      expect(active?.deliveryCount).toBe(0);
      // The lock ended with the restart, as an expiry would: one more delivery.
      expect(locked?.deliveryCount).toBe(1);
      // Sequence numbers go on increasing.
      expect(fresh?.sequenceNumber?.toNumber()).toBeGreaterThan(state.lastSeq);
      for (const message of back) await receiver.completeMessage(message);

      const [deferred] = await receiver.receiveDeferredMessages(state.deferredSeq);
      expect(deferred?.messageId).toBe('deferred-1');
      expect(deferred?.deliveryCount).toBe(1);
      await receiver.completeMessage(deferred!);

      const deadLetters = client.createReceiver('kept', { subQueueType: 'deadLetter' });
      const [dead] = await receiveIds(deadLetters, ['dead-1']);
      expect(dead?.deadLetterReason).toBe('Kept');
      await deadLetters.completeMessage(dead!);

      // Schedules were kept: invisible until due, then delivered (queue and topic).
      const scheduled = await receiveIds(receiver, ['scheduled-1'], 8_000);
      expect(scheduled[0]?.sequenceNumber?.toNumber()).toBe(state.scheduledSeq.toNumber());
      await receiver.completeMessage(scheduled[0]!);
      const topicReceiver = client.createReceiver('kept-topic', 'all');
      const [topicScheduled] = await receiveIds(topicReceiver, ['topic-scheduled-1'], 8_000);
      expect(topicScheduled?.sequenceNumber?.toNumber()).toBe(state.topicScheduledSeq.toNumber());
      await topicReceiver.completeMessage(topicScheduled!);
      expect(await receiveIds(receiver, ['dup-1'], 500)).toHaveLength(0);
    });
    expect(broker.entityCounts().filter((e) => e.active + e.scheduled + e.deadLettered > 0)).toEqual([]);
  } finally {
    await broker.close();
  }
}, 60_000);

test('killed with SIGKILL, the broker keeps every acknowledged send; a torn journal tail is cut off', async () => {
  const folder = newFolder();
  const cli = path.join(__dirname, '..', '..', 'dist', 'local', 'servicebus', 'cli.js');
  const entitiesFile = path.join(folder, 'entities.json');
  appendFileSync(entitiesFile, JSON.stringify(entities));
  const port = await findFreePort();
  const launch = async (): Promise<ReturnType<typeof spawn>> => {
    const child = spawn(
      process.execPath,
      [cli, '--port', String(port), '--metrics-port', '0', '--entities', entitiesFile, '--data', folder],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('broker did not start')), 20_000);
      forEachLine(child.stdout, (line) => {
        if (line.includes('listening on amqp')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
    });
    return child;
  };
  const connection = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;`;
  let child = await launch();
  const sent = Array.from({ length: 300 }, (_, i) => `acked-${i}`);
  const client = new ServiceBusClient(connection);
  const sender = client.createSender('kept');
  for (let i = 0; i < sent.length; i += 100) {
    await sender.sendMessages(sent.slice(i, i + 100).map((messageId) => ({ messageId, body: messageId })));
  }
  await sender.close();
  await client.close();
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  // A crash in the middle of a write leaves half a frame behind.
  appendFileSync(path.join(folder, 'servicebus', 'journal.bin'), Buffer.from([0, 0, 1, 0, 9, 9, 9]));

  child = await launch();
  const again = new ServiceBusClient(connection);
  try {
    const receiver = again.createReceiver('kept', { receiveMode: 'receiveAndDelete' });
    const received = await receiveIds(receiver, sent, 15_000);
    expect(new Set(ids(received))).toEqual(new Set(sent));
  } finally {
    await again.close();
    child.kill('SIGKILL');
  }
}, 60_000);

test('compaction: a journal past its limit becomes a snapshot, and the state reads back the same', async () => {
  const folder = newFolder();
  let broker = await startBroker({
    topology,
    port: 0,
    metricsPort: null,
    extraEntities: entities,
    dataFolder: folder,
    compactJournalAfterBytes: 4_096,
  });
  const kept = Array.from({ length: 200 }, (_, i) => `compact-${i}`);
  await withClient(broker, async (client) => {
    const sender = client.createSender('kept');
    const receiver = client.createReceiver('kept');
    for (let i = 0; i < kept.length; i += 50) {
      await sender.sendMessages(
        kept.slice(i, i + 50).map((messageId) => ({ messageId, body: 'x'.repeat(100) })),
      );
    }
    // Churn: messages that come and go must not come back.
    await sender.sendMessages(Array.from({ length: 50 }, (_, i) => ({ messageId: `gone-${i}`, body: 'y' })));
    const all = await receiveIds(receiver, [...kept, ...Array.from({ length: 50 }, (_, i) => `gone-${i}`)]);
    for (const message of all) {
      if (String(message.messageId).startsWith('gone-')) await receiver.completeMessage(message);
      else await receiver.abandonMessage(message);
    }
  });
  await broker.close();
  broker = await startBroker({
    topology,
    port: 0,
    metricsPort: null,
    extraEntities: entities,
    dataFolder: folder,
  });
  try {
    await withClient(broker, async (client) => {
      const receiver = client.createReceiver('kept', { receiveMode: 'receiveAndDelete' });
      const back = await receiveIds(receiver, kept, 10_000);
      expect(back).toHaveLength(kept.length);
      expect(back.every((m) => m.deliveryCount === 1)).toBe(true);
      expect(await receiveIds(receiver, ['gone-0', 'gone-49'], 500)).toHaveLength(0);
    });
  } finally {
    await broker.close();
  }
}, 60_000);
