import { ServiceBusClient, type ServiceBusMessage, type ServiceBusSender } from '@azure/service-bus';
import type { TokenCredential } from '@azure/identity';
import { schemaVersion, topicFor, type WorkMessage } from '../domain/messages';
import type { RequestNotification } from '../domain/notifications';
import type { HealthProbe, OutgoingWorkMessage, Publisher } from '../app/ports/publisher';

/** The application properties every work message carries; subscriptions filter on `tier`. */
export function workMessageProperties(message: WorkMessage): Record<string, string | number> {
  return {
    tier: message.tier,
    kind: message.kind,
    requestId: message.requestId,
    orgId: message.orgId,
    schemaVersion,
  };
}

/** The Service Bus message for a work message, with its deterministic messageId. */
export function toServiceBusMessage(
  message: WorkMessage,
  messageId: string,
  scheduledFor?: Date,
): ServiceBusMessage {
  return {
    body: message,
    contentType: 'application/json',
    messageId,
    subject: message.kind,
    applicationProperties: workMessageProperties(message),
    // Service Bus holds it until then (duplicate detection applies at send, as for any message).
    ...(scheduledFor ? { scheduledEnqueueTimeUtc: scheduledFor } : {}),
  };
}

export type ServiceBusConnectionOptions =
  { connectionString: string } | { fullyQualifiedNamespace: string; credential: TokenCredential };

/**
 * The typed producer: the intake uses it, and trusted systems can publish the same messages directly
 * (the tier worker creates the request record when it has never seen it).
 */
export class ServiceBusPublisher implements Publisher {
  private readonly client: ServiceBusClient;
  private readonly senders = new Map<string, ServiceBusSender>();

  constructor(
    connection: ServiceBusConnectionOptions | ServiceBusClient,
    private readonly notificationsTopic = 'notifications',
  ) {
    if (connection instanceof ServiceBusClient) this.client = connection;
    else if ('connectionString' in connection)
      this.client = new ServiceBusClient(connection.connectionString);
    else this.client = new ServiceBusClient(connection.fullyQualifiedNamespace, connection.credential);
  }

  private sender(topic: string): ServiceBusSender {
    let sender = this.senders.get(topic);
    if (!sender) {
      sender = this.client.createSender(topic);
      this.senders.set(topic, sender);
    }
    return sender;
  }

  /** Sends in as few batches as fit; rejects when Service Bus does not accept them. */
  async publishWork(messages: OutgoingWorkMessage[]): Promise<void> {
    const byTopic = new Map<string, ServiceBusMessage[]>();
    for (const { message, messageId, scheduledFor } of messages) {
      const topic = topicFor(message);
      const list = byTopic.get(topic) ?? [];
      list.push(toServiceBusMessage(message, messageId, scheduledFor));
      byTopic.set(topic, list);
    }
    for (const [topic, list] of byTopic) await this.sendAll(topic, list);
  }

  /** One typed event; subscribers filter on its `type`, `orgId` or `tier` application properties. */
  async publishNotification(notification: RequestNotification): Promise<void> {
    await this.sendAll(this.notificationsTopic, [
      {
        body: notification,
        contentType: 'application/json',
        messageId: `${notification.requestId}:event:${notification.eventId}`,
        subject: notification.type,
        applicationProperties: {
          type: notification.type,
          requestId: notification.requestId,
          orgId: notification.orgId,
          tier: notification.tier,
          status: notification.status,
          schemaVersion,
        },
      },
    ]);
  }

  private async sendAll(topic: string, list: ServiceBusMessage[]): Promise<void> {
    const sender = this.sender(topic);
    if (list.length === 1) {
      await sender.sendMessages(list[0] as ServiceBusMessage);
      return;
    }
    let batch = await sender.createMessageBatch();
    for (const message of list) {
      if (!batch.tryAddMessage(message)) {
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        if (!batch.tryAddMessage(message))
          throw new RangeError(`message ${String(message.messageId)} is too large for a batch`);
      }
    }
    if (batch.count > 0) await sender.sendMessages(batch);
  }

  /** A health probe: opening a sender link proves the namespace answers and accepts our credentials. */
  probe(topic: string): HealthProbe {
    return {
      name: 'serviceBus',
      check: async () => {
        const batch = await this.sender(topic).createMessageBatch();
        void batch;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.senders.values()].map((s) => s.close()));
    await this.client.close();
  }
}
