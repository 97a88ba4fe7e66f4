import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';
import { startBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';

export interface BrokerThroughput {
  /** messages / (send time + receive-and-complete time). */
  messagesPerSecond: number;
  sendMs: number;
  receiveCompleteMs: number;
}

/**
 * The local broker's throughput through the unmodified SDK: sends `messages` messages of
 * `sizeBytes` in SDK batches to topic `provisioning` (tier `health`), then receives them with
 * `subscribe()` (32 concurrent handlers, peek-lock) and completes each one.
 * @throws Error when not every message arrives within 120 s.
 */
export async function benchBrokerThroughput(opts: {
  messages: number;
  sizeBytes: number;
  /** Run the broker with `--data` in this folder (journal and group commit) instead of in memory. */
  dataFolder?: string;
}): Promise<BrokerThroughput> {
  const broker = await startBroker({ topology, port: 0, metricsPort: null, dataFolder: opts.dataFolder });
  const client = new ServiceBusClient(broker.connectionString);
  const runId = `bench-${Date.now()}`;
  const payload = 'x'.repeat(Math.max(0, opts.sizeBytes - 60));
  try {
    const sender = client.createSender('provisioning');
    const sendStart = performance.now();
    let batch = await sender.createMessageBatch();
    for (let i = 0; i < opts.messages; i++) {
      const message: ServiceBusMessage = {
        messageId: `${runId}-${i}`,
        body: { i, payload },
        applicationProperties: { tier: 'health', kind: 'provision' },
      };
      if (!batch.tryAddMessage(message)) {
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        if (!batch.tryAddMessage(message))
          throw new Error(`a ${opts.sizeBytes}-byte message does not fit a batch`);
      }
    }
    if (batch.count > 0) await sender.sendMessages(batch);
    const sendMs = performance.now() - sendStart;
    await sender.close();

    const receiver = client.createReceiver('provisioning', 'health');
    const receiveStart = performance.now();
    let completed = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${completed}/${opts.messages} completed in 120 s`)),
        120_000,
      );
      receiver.subscribe(
        {
          processMessage: async (message) => {
            await receiver.completeMessage(message);
            completed++;
            if (completed === opts.messages) {
              clearTimeout(timer);
              resolve();
            }
          },
          processError: async (args) => {
            clearTimeout(timer);
            reject(args.error);
          },
        },
        { autoCompleteMessages: false, maxConcurrentCalls: 32 },
      );
    });
    const receiveCompleteMs = performance.now() - receiveStart;
    await receiver.close();
    return {
      messagesPerSecond: Math.round(opts.messages / ((sendMs + receiveCompleteMs) / 1000)),
      sendMs: Math.round(sendMs),
      receiveCompleteMs: Math.round(receiveCompleteMs),
    };
  } finally {
    await client.close();
    await broker.close();
  }
}
