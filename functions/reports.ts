import { app, type InvocationContext } from '@azure/functions';
import { settingNames } from '../shared/config';
import { eventSubscriptionOf } from '../shared/domain/topology';
import { topology } from '../shared/topology';
import { messageBody } from './message-body';
import { getApp } from './runtime';

const functionName = 'write-reports';
// Which topic and subscription: declared once, in infra/topology.json.
const { topic, subscription } = eventSubscriptionOf(topology, functionName);

/**
 * Writes a request's report (reports/{id}.csv) once it is final, from its own subscription of the
 * notifications topic: a large report never holds up the batch that finished the request.
 */
export async function writeReportHandler(message: unknown, context: InvocationContext): Promise<void> {
  const result = await (await getApp()).reportOnNotification(messageBody(message));
  if (result !== 'ignored') context.log(`${functionName}: ${result}`);
}

app.serviceBusTopic(functionName, {
  topicName: topic.name,
  subscriptionName: subscription.name,
  connection: settingNames.serviceBusConnection,
  handler: writeReportHandler,
});
