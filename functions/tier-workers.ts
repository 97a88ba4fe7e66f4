import { app, type InvocationContext } from '@azure/functions';
import { settingNames } from '../shared/config';
import { ensureError, isTriageError } from '../shared/domain/errors';
import {
  subscriptionSettings,
  tierFunctionName,
  tierSubscription,
  workTopics,
  type TopicDefinition,
} from '../shared/domain/topology';
import { topology } from '../shared/topology';
import { getApp } from './runtime';

/** Service Bus delivers JSON bodies parsed; a string body (another producer's content type) is parsed here. */
function bodyOf(message: unknown): unknown {
  if (typeof message === 'string') {
    try {
      return JSON.parse(message) as unknown;
    } catch {
      return message;
    }
  }
  if (Buffer.isBuffer(message)) return bodyOf(message.toString('utf8'));
  return message;
}

/**
 * Builds the handler of one topic × tier Function. Transient failures throw (Service Bus redelivers, then
 * dead-letters); permanent ones are recorded by the use-case and the message completes. On the last
 * delivery a transient failure is first recorded on the request (visible, replayable), best effort.
 */
export function tierHandler(topic: TopicDefinition, tier: string) {
  const functionName = tierFunctionName(topic, tier);
  const { maxDeliveryCount } = subscriptionSettings(topology, tierSubscription(topology, topic.name, tier));
  return async function handleTierMessage(message: unknown, context: InvocationContext): Promise<void> {
    const deliveryCount = Number(context.triggerMetadata?.deliveryCount ?? 1) || 1;
    const ctx = { functionName, tier, deliveryCount, maxDeliveryCount };
    const body = bodyOf(message);
    try {
      const result = await (await getApp()).processWork(body, ctx);
      context.log(`${functionName}: ${result} (delivery ${deliveryCount})`);
    } catch (err: unknown) {
      const error = ensureError(err);
      const retryable = isTriageError(err) ? err.retryable : true;
      context.warn(
        `${functionName}: delivery ${deliveryCount}/${maxDeliveryCount} failed (${retryable ? 'transient' : 'permanent'}): ${error.message}`,
      );
      if (!retryable) return;
      if (deliveryCount >= maxDeliveryCount) {
        // Service Bus dead-letters the message when this throw ends its last delivery: record it first,
        // unless the use-case already did. A failure here is logged and never replaces the original error.
        try {
          const app = await getApp();
          if (!app.deadLetterRecorded(err)) {
            const recorded = await app.recordDeliveryExhausted(body, ctx, error.message);
            context.warn(`${functionName}: dead-lettering after delivery ${deliveryCount}: ${recorded}`);
          }
        } catch (recordErr: unknown) {
          context.error(
            `${functionName}: dead-letter not recorded on the request: ${ensureError(recordErr).message}`,
          );
        }
      }
      throw error;
    }
  };
}

// One Function per work topic × tier, all from infra/topology.json.
for (const topic of workTopics(topology)) {
  for (const tier of topology.tiers.map((t) => t.name)) {
    app.serviceBusTopic(tierFunctionName(topic, tier), {
      topicName: topic.name,
      subscriptionName: tierSubscription(topology, topic.name, tier).name,
      connection: settingNames.serviceBusConnection,
      handler: tierHandler(topic, tier),
    });
  }
}
