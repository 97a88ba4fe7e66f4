import { app, type InvocationContext } from '@azure/functions';
import type { LogLevel } from '../shared/app/index';
import { settingNames } from '../shared/config';
import {
  subscriptionSettings,
  tierFunctionName,
  tierSubscription,
  workTopics,
  type TopicDefinition,
} from '../shared/domain/topology';
import { topology } from '../shared/topology';
import { messageBody } from './message-body';
import { getApp } from './runtime';

/** Log lines of one delivery go to its invocation's log, so they correlate with it in Application Insights. */
function invocationLog(context: InvocationContext) {
  return (level: LogLevel, message: string): void => {
    if (level === 'error') context.error(message);
    else if (level === 'warn') context.warn(message);
    else context.log(message);
  };
}

/**
 * Builds the handler of one topic × tier Function: the app's delivery protocol decides (it completes the
 * message and schedules a successor for a transient failure); a throw abandons the message (Service Bus
 * redelivers, and dead-letters after the last delivery), a return completes it.
 */
export function tierHandler(topic: TopicDefinition, tier: string) {
  const functionName = tierFunctionName(topic, tier);
  const { maxDeliveryCount } = subscriptionSettings(topology, tierSubscription(topology, topic.name, tier));
  return async function handleTierMessage(message: unknown, context: InvocationContext): Promise<void> {
    const deliveryCount = Number(context.triggerMetadata?.deliveryCount ?? 1) || 1;
    const messageId = context.triggerMetadata?.messageId;
    const delivery = {
      functionName,
      tier,
      deliveryCount,
      maxDeliveryCount,
      ...(typeof messageId === 'string' && messageId !== '' ? { messageId } : {}),
    };
    const result = await (
      await getApp()
    ).handleDelivery(messageBody(message), delivery, { log: invocationLog(context) });
    context.log(`${functionName}: ${result} (delivery ${deliveryCount})`);
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
