import { app, type InvocationContext } from '@azure/functions';
import { settingNames } from '../shared/config';
import { eventSubscriptionOf, subscriptionSettings } from '../shared/domain/topology';
import { topology } from '../shared/topology';
import { messageBody } from './message-body';
import { getApp } from './runtime';

const functionName = 'deliver-webhooks';
// Which topic and subscription: declared once, in infra/topology.json.
const { topic, subscription } = eventSubscriptionOf(topology, functionName);
const { maxDeliveryCount } = subscriptionSettings(topology, subscription);

/**
 * Delivers each notification to its organisation's webhook, signed, from its own subscription: a slow or
 * failing receiver never holds up the pipeline. A throw lets Service Bus redeliver (and dead-letter at last).
 */
export async function deliverWebhookHandler(message: unknown, context: InvocationContext): Promise<void> {
  const deliveryCount = Number(context.triggerMetadata?.deliveryCount ?? 1) || 1;
  const result = await (
    await getApp()
  ).deliverWebhook(messageBody(message), { functionName, deliveryCount, maxDeliveryCount });
  context.log(`${functionName}: ${result} (delivery ${deliveryCount})`);
}

app.serviceBusTopic(functionName, {
  topicName: topic.name,
  subscriptionName: subscription.name,
  connection: settingNames.serviceBusConnection,
  handler: deliverWebhookHandler,
});
