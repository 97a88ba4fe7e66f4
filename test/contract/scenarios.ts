/**
 * The Service Bus contract: scenarios driven through the unmodified `@azure/service-bus` SDK.
 * They run against the local broker, and against a real namespace (or the official emulator)
 * when SERVICEBUS_CONTRACT_CONNECTION is set, so the local broker is held to the real semantics.
 *
 * Scenarios only use entities from infra/topology.json (topic `provisioning`, one subscription per
 * tier; topic `notifications` with a catch-all subscription) and tag every message with a unique
 * run id, so parallel runs against one namespace do not see each other's messages.
 */
import { randomUUID } from 'node:crypto';
import topologyDocument from '../../infra/topology.json';

/** Every subscription of the events topic, as the topology declares them (each gets a copy of every event). */
const notificationSubscriptions = topologyDocument.topics
  .find((t) => t.name === 'notifications')!
  .subscriptions.map((s) => s.name);
import type {
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusMessage,
} from '@azure/service-bus';

export interface ContractContext {
  client: ServiceBusClient;
  /** Unique per run; every message carries it as application property `contractRun`. */
  runId: string;
}

const TOPIC = 'provisioning';
const RECEIVE_DEADLINE_MS = 10_000;

let counter = 0;
export function uniqueId(runId: string, label: string): string {
  counter++;
  return `${runId}-${label}-${counter}`;
}

export function newRunId(): string {
  return `contract-${randomUUID().slice(0, 8)}`;
}

/** A message for `tier` tagged with this run. */
export function tagged(
  runId: string,
  tier: string,
  label: string,
  extra: Partial<ServiceBusMessage> = {},
): ServiceBusMessage {
  return {
    messageId: uniqueId(runId, label),
    body: { label, runId },
    ...extra,
    applicationProperties: { tier, contractRun: runId, ...extra.applicationProperties },
  };
}

/**
 * Receives until every wanted messageId arrived or the deadline passed. Other messages (another
 * run's, on a shared namespace) are abandoned at once so they stay available to their owner.
 */
export async function receiveIds(
  receiver: ServiceBusReceiver,
  ids: readonly string[],
  deadlineMs = RECEIVE_DEADLINE_MS,
): Promise<ServiceBusReceivedMessage[]> {
  const wanted = new Set(ids);
  const found = new Map<string, ServiceBusReceivedMessage>();
  const deadline = Date.now() + deadlineMs;
  while (found.size < wanted.size && Date.now() < deadline) {
    const batch = await receiver.receiveMessages(Math.max(1, wanted.size - found.size), {
      maxWaitTimeInMs: Math.min(1000, Math.max(100, deadline - Date.now())),
    });
    for (const message of batch) {
      const id = String(message.messageId);
      if (wanted.has(id) && !found.has(id)) found.set(id, message);
      else if (receiver.receiveMode === 'peekLock') await receiver.abandonMessage(message);
    }
  }
  return ids.map((id) => found.get(id)).filter((m): m is ServiceBusReceivedMessage => m !== undefined);
}

/** Waits (up to `windowMs`) for any of `ids`; resolves with what arrived, usually nothing. */
export async function receiveNone(
  receiver: ServiceBusReceiver,
  ids: readonly string[],
  windowMs: number,
): Promise<ServiceBusReceivedMessage[]> {
  const arrived = await receiveIds(receiver, ids, windowMs);
  for (const message of arrived) {
    if (receiver.receiveMode === 'peekLock') await receiver.completeMessage(message);
  }
  return arrived;
}

async function peekIds(
  receiver: ServiceBusReceiver,
  ids: readonly string[],
): Promise<ServiceBusReceivedMessage[]> {
  const peeked = await receiver.peekMessages(250);
  return peeked.filter((m) => ids.includes(String(m.messageId)));
}

/** Registers the scenario list; `context()` is read when each test runs (after beforeAll). */
export function defineContractScenarios(context: () => ContractContext): void {
  const ctx = (): ContractContext => context();

  test('a single message reaches only the subscription whose correlation filter matches, with its properties', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const health = client.createReceiver(TOPIC, 'health');
    const government = client.createReceiver(TOPIC, 'government');
    try {
      const before = Date.now();
      const message = tagged(runId, 'health', 'single', {
        subject: 'provision',
        correlationId: 'corr-1',
        contentType: 'application/json',
        applicationProperties: { requestId: 'r-1', attempt: 3 },
      });
      await sender.sendMessages(message);
      const [received] = await receiveIds(health, [String(message.messageId)]);
      expect(received).toBeDefined();
      if (!received) return;
      expect(received.body).toEqual(message.body);
      expect(received.subject).toBe('provision');
      expect(received.correlationId).toBe('corr-1');
      expect(received.contentType).toBe('application/json');
      expect(received.applicationProperties).toMatchObject({ tier: 'health', requestId: 'r-1', attempt: 3 });
      expect(received.deliveryCount).toBe(0);
      expect(received.sequenceNumber?.toNumber()).toBeGreaterThan(0);
      expect(received.enqueuedTimeUtc?.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(received.lockedUntilUtc?.getTime()).toBeGreaterThan(Date.now());
      expect(received.lockToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await health.completeMessage(received);
      expect(await receiveNone(government, [String(message.messageId)], 1000)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), health.close(), government.close()]);
    }
  });

  test('a message that matches no subscription is dropped; a null filter receives everything', async () => {
    const { client, runId } = ctx();
    const provisioning = client.createSender(TOPIC);
    const notifications = client.createSender('notifications');
    // Every subscription of the events topic has a null filter: each one receives the message.
    const feeds = notificationSubscriptions.map((name) => client.createReceiver('notifications', name));
    const receivers = ['health', 'government', 'remote-work', 'standard'].map((tier) =>
      client.createReceiver(TOPIC, tier),
    );
    try {
      const orphan = tagged(runId, 'no-such-tier', 'orphan');
      await provisioning.sendMessages(orphan);
      const anything = tagged(runId, 'whatever', 'feed', { applicationProperties: { kind: 'status' } });
      await notifications.sendMessages(anything);
      for (const feed of feeds) {
        const [fed] = await receiveIds(feed, [String(anything.messageId)]);
        expect(fed?.applicationProperties?.kind).toBe('status');
        if (fed) await feed.completeMessage(fed);
      }
      for (const receiver of receivers) {
        expect(await peekIds(receiver, [String(orphan.messageId)])).toHaveLength(0);
      }
    } finally {
      await Promise.all([
        provisioning.close(),
        notifications.close(),
        ...feeds.map((f) => f.close()),
        ...receivers.map((r) => r.close()),
      ]);
    }
  });

  test('arrays and batches are delivered whole, with increasing sequence numbers', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'government');
    try {
      const array = [1, 2, 3].map((i) => tagged(runId, 'government', `array${i}`));
      await sender.sendMessages(array);
      const batch = await sender.createMessageBatch();
      const batched = [1, 2, 3, 4].map((i) => tagged(runId, 'government', `batch${i}`));
      for (const message of batched) expect(batch.tryAddMessage(message)).toBe(true);
      await sender.sendMessages(batch);
      const ids = [...array, ...batched].map((m) => String(m.messageId));
      const received = await receiveIds(receiver, ids);
      expect(received.map((m) => m.messageId)).toEqual(ids);
      const sequence = received.map((m) => m.sequenceNumber?.toNumber() ?? 0);
      for (let i = 1; i < sequence.length; i++) expect(sequence[i]).toBeGreaterThan(sequence[i - 1] ?? 0);
      for (const message of received) await receiver.completeMessage(message);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('complete removes; abandon redelivers with deliveryCount+1 and the modified properties', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'remote-work');
    try {
      const message = tagged(runId, 'remote-work', 'abandon');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [first] = await receiveIds(receiver, [id]);
      expect(first?.deliveryCount).toBe(0);
      if (!first) return;
      await receiver.abandonMessage(first, { retryReason: 'transient' });
      const [second] = await receiveIds(receiver, [id]);
      expect(second?.deliveryCount).toBe(1);
      expect(second?.applicationProperties?.retryReason).toBe('transient');
      expect(second?.sequenceNumber?.toNumber()).toBe(first.sequenceNumber?.toNumber());
      if (!second) return;
      await receiver.completeMessage(second);
      expect(await receiveNone(receiver, [id], 1000)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('deadLetterMessage moves the message to $DeadLetterQueue with its reason and description', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'standard');
    const deadLetters = client.createReceiver(TOPIC, 'standard', { subQueueType: 'deadLetter' });
    try {
      const message = tagged(runId, 'standard', 'deadletter');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [id]);
      if (!received) throw new Error('message not received');
      await receiver.deadLetterMessage(received, {
        deadLetterReason: 'PermanentFailure',
        deadLetterErrorDescription: 'the executor refused the request',
      });
      const [dead] = await receiveIds(deadLetters, [id]);
      expect(dead?.deadLetterReason).toBe('PermanentFailure');
      expect(dead?.deadLetterErrorDescription).toBe('the executor refused the request');
      expect(dead?.body).toEqual(message.body);
      if (dead) await deadLetters.completeMessage(dead);
      expect(await receiveNone(receiver, [id], 500)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), receiver.close(), deadLetters.close()]);
    }
  });

  test('deferMessage hides the message until receiveDeferredMessages fetches it by sequence number', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'health');
    try {
      const message = tagged(runId, 'health', 'defer');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [id]);
      if (!received?.sequenceNumber) throw new Error('message not received');
      await receiver.deferMessage(received, { deferredBy: 'contract' });
      expect(await receiveNone(receiver, [id], 800)).toHaveLength(0);
      const [deferred] = await receiver.receiveDeferredMessages([received.sequenceNumber]);
      expect(deferred?.messageId).toBe(id);
      expect(deferred?.state).toBe('deferred');
      expect(deferred?.applicationProperties?.deferredBy).toBe('contract');
      if (!deferred) return;
      await receiver.completeMessage(deferred);
      await expect(receiver.receiveDeferredMessages([received.sequenceNumber])).rejects.toMatchObject({
        code: 'MessageNotFound',
      });
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('a deferred message received by sequence number reports one more delivery; abandoning it keeps it deferred, counted', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'remote-work');
    try {
      const message = tagged(runId, 'remote-work', 'defer-count');
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [String(message.messageId)]);
      if (!received?.sequenceNumber) throw new Error('message not received');
      expect(received.deliveryCount).toBe(0);
      await receiver.deferMessage(received);
      const [deferred] = await receiver.receiveDeferredMessages([received.sequenceNumber]);
      // The SDK's own tests: 0 on the first delivery, 1 once deferred and fetched, 2 after an abandon.
      expect(deferred?.deliveryCount).toBe(1);
      if (!deferred) return;
      await receiver.abandonMessage(deferred);
      const [again] = await receiver.receiveDeferredMessages([received.sequenceNumber]);
      expect(again?.deliveryCount).toBe(2);
      expect(again?.state).toBe('deferred');
      if (again) await receiver.completeMessage(again);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('a dead-letter queue refuses to dead-letter its messages again; abandoning one does not count a delivery', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'government');
    const deadLetters = client.createReceiver(TOPIC, 'government', { subQueueType: 'deadLetter' });
    try {
      const message = tagged(runId, 'government', 'dlq-rules');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [id]);
      if (!received) throw new Error('message not received');
      await receiver.deadLetterMessage(received, {
        deadLetterReason: 'FirstTime',
        deadLetterErrorDescription: 'first',
      });
      const [dead] = await receiveIds(deadLetters, [id]);
      if (!dead) throw new Error('dead-letter not received');
      expect(dead.deliveryCount).toBe(0);
      await expect(
        deadLetters.deadLetterMessage(dead, {
          deadLetterReason: 'SecondTime',
          deadLetterErrorDescription: 'second',
        }),
      ).rejects.toMatchObject({
        code: 'GeneralError',
        message: expect.stringContaining('InvalidOperationError'),
      });
      const [stillThere] = await receiveIds(deadLetters, [id]);
      expect(stillThere?.deadLetterReason).toBe('FirstTime');
      expect(stillThere?.deliveryCount).toBe(0);
      if (!stillThere) return;
      await deadLetters.abandonMessage(stillThere);
      const [abandoned] = await receiveIds(deadLetters, [id]);
      expect(abandoned?.deliveryCount).toBe(0);
      if (abandoned) await deadLetters.completeMessage(abandoned);
    } finally {
      await Promise.all([sender.close(), receiver.close(), deadLetters.close()]);
    }
  });

  test('a dead-lettered message never expires, whatever its timeToLive', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'health');
    const deadLetters = client.createReceiver(TOPIC, 'health', { subQueueType: 'deadLetter' });
    try {
      const message = tagged(runId, 'health', 'dlq-ttl', { timeToLive: 2_000 });
      const id = String(message.messageId);
      await sender.sendMessages(message);
      const [received] = await receiveIds(receiver, [id]);
      if (!received) throw new Error('message not received');
      await receiver.deadLetterMessage(received, {
        deadLetterReason: 'KeptPastItsTtl',
        deadLetterErrorDescription: 'kept',
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const [dead] = await receiveIds(deadLetters, [id]);
      expect(dead?.deadLetterReason).toBe('KeptPastItsTtl');
      expect(dead?.timeToLive).toBe(2_000);
      if (dead) await deadLetters.completeMessage(dead);
    } finally {
      await Promise.all([sender.close(), receiver.close(), deadLetters.close()]);
    }
  });

  test('renewMessageLock extends lockedUntil; peekMessages reads without locking, from a sequence number', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'government');
    const peeker = client.createReceiver(TOPIC, 'government');
    try {
      const messages = [1, 2, 3].map((i) => tagged(runId, 'government', `peek${i}`));
      const ids = messages.map((m) => String(m.messageId));
      await sender.sendMessages(messages);
      const received = await receiveIds(receiver, ids);
      expect(received).toHaveLength(3);
      const [first, second, third] = received;
      if (!first || !second || !third) return;
      const before = first.lockedUntilUtc?.getTime() ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const renewed = await receiver.renewMessageLock(first);
      expect(renewed.getTime()).toBeGreaterThan(before);
      const fromSecond = await peeker.peekMessages(2, { fromSequenceNumber: second.sequenceNumber });
      expect(fromSecond.map((m) => m.messageId)).toEqual([second.messageId, third.messageId]);
      expect(fromSecond[0]?.lockToken).toBeUndefined();
      for (const message of received) await receiver.completeMessage(message);
    } finally {
      await Promise.all([sender.close(), receiver.close(), peeker.close()]);
    }
  });

  test('receiveAndDelete removes messages as they are delivered', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'remote-work', { receiveMode: 'receiveAndDelete' });
    const check = client.createReceiver(TOPIC, 'remote-work');
    try {
      const messages = [1, 2].map((i) => tagged(runId, 'remote-work', `rad${i}`));
      const ids = messages.map((m) => String(m.messageId));
      await sender.sendMessages(messages);
      const received = await receiveIds(receiver, ids);
      expect(received.map((m) => m.messageId)).toEqual(ids);
      expect(await receiveNone(check, ids, 800)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), receiver.close(), check.close()]);
    }
  });

  test('scheduled messages stay invisible until due; a cancelled one never arrives', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'standard');
    try {
      const due = new Date(Date.now() + 3000);
      const kept = tagged(runId, 'standard', 'scheduled');
      const cancelled = tagged(runId, 'standard', 'cancelled');
      const viaSend = tagged(runId, 'standard', 'scheduled-send', { scheduledEnqueueTimeUtc: due });
      const [, cancelSeq] = await sender.scheduleMessages([kept, cancelled], due);
      if (!cancelSeq) throw new Error('no sequence number');
      await sender.cancelScheduledMessages([cancelSeq]);
      await sender.sendMessages(viaSend);
      const ids = [String(kept.messageId), String(viaSend.messageId)];
      expect(await receiveNone(receiver, ids, 800)).toHaveLength(0);
      const arrived = await receiveIds(receiver, ids);
      expect(arrived.map((m) => m.messageId)).toEqual(ids);
      expect(Date.now()).toBeGreaterThanOrEqual(due.getTime() - 500);
      for (const message of arrived) await receiver.completeMessage(message);
      expect(await receiveNone(receiver, [String(cancelled.messageId)], 1000)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('duplicate detection drops a repeated messageId inside the window, reporting success', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'health');
    try {
      const message = tagged(runId, 'health', 'dup');
      const id = String(message.messageId);
      await sender.sendMessages(message);
      await sender.sendMessages({ ...message, body: { second: true } });
      const [first] = await receiveIds(receiver, [id]);
      expect(first?.body).toEqual(message.body);
      if (first) await receiver.completeMessage(first);
      expect(await receiveNone(receiver, [id], 1000)).toHaveLength(0);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('subscribe() streams messages to a handler and settles them', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    const receiver = client.createReceiver(TOPIC, 'standard');
    const messages = [1, 2, 3, 4, 5].map((i) => tagged(runId, 'standard', `stream${i}`));
    const ids = new Set(messages.map((m) => String(m.messageId)));
    const seen = new Set<string>();
    try {
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`streamed ${seen.size}/${ids.size}`)),
          RECEIVE_DEADLINE_MS,
        );
        receiver.subscribe(
          {
            processMessage: async (message) => {
              const id = String(message.messageId);
              if (!ids.has(id)) {
                await receiver.abandonMessage(message);
                return;
              }
              await receiver.completeMessage(message);
              seen.add(id);
              if (seen.size === ids.size) {
                clearTimeout(timer);
                resolve();
              }
            },
            processError: async (args) => {
              clearTimeout(timer);
              reject(args.error);
            },
          },
          { autoCompleteMessages: false, maxConcurrentCalls: 2 },
        );
      });
      await sender.sendMessages(messages);
      await done;
      expect(seen).toEqual(ids);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('sending to or receiving from an entity that does not exist fails with MessagingEntityNotFound', async () => {
    const { client } = ctx();
    const sender = client.createSender('no-such-topic');
    const receiver = client.createReceiver('no-such-topic', 'no-such-subscription');
    try {
      await expect(sender.sendMessages({ body: 'x' })).rejects.toMatchObject({
        code: 'MessagingEntityNotFound',
      });
      await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 })).rejects.toMatchObject({
        code: 'MessagingEntityNotFound',
      });
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  test('a message above the size limit is refused with MessageSizeExceeded', async () => {
    const { client, runId } = ctx();
    const sender = client.createSender(TOPIC);
    try {
      const huge = tagged(runId, 'health', 'huge', { body: Buffer.alloc(1024 * 1024 + 1, 1) });
      await expect(sender.sendMessages(huge)).rejects.toMatchObject({ code: 'MessageSizeExceeded' });
    } finally {
      await sender.close();
    }
  });
}
