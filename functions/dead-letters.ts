import { app, type InvocationContext } from '@azure/functions';
import { settingNames } from '../shared/config';
import { tierSubscription, workTopics, type TopicDefinition } from '../shared/domain/topology';
import { topology } from '../shared/topology';
import { authorized, jsonResponse, apiAuthLevel } from './http-common';
import { getApp } from './runtime';

/** The dead-letter facts Service Bus attaches (the host binds them as properties of the message). */
function deadLetterFacts(context: InvocationContext): { reason?: string; description?: string } {
  const metadata = (context.triggerMetadata ?? {}) as Record<string, unknown>;
  const properties = (metadata.applicationProperties ?? {}) as Record<string, unknown>;
  const text = (...values: unknown[]): string | undefined => {
    const found = values.find((v) => typeof v === 'string' && v !== '');
    return typeof found === 'string' ? found : undefined;
  };
  const reason = text(metadata.deadLetterReason, properties.DeadLetterReason);
  const description = text(metadata.deadLetterErrorDescription, properties.DeadLetterErrorDescription);
  return { ...(reason ? { reason } : {}), ...(description ? { description } : {}) };
}

/**
 * The dead-letter Function of one work subscription (`…/$DeadLetterQueue`): records each dead-lettered
 * message on its request (or in the dead-letter log) and completes it; a throw (Storage down) leaves it in
 * the dead-letter queue for the next delivery.
 */
export function deadLetterHandler(topic: TopicDefinition, tier: string) {
  const functionName = `${topic.functionPrefix}-${tier}-dead-letters`;
  return async function handleDeadLetter(message: unknown, context: InvocationContext): Promise<void> {
    const messageId = context.triggerMetadata?.messageId;
    const body = typeof message === 'string' ? safeJson(message) : message;
    const result = await (
      await getApp()
    ).handleDeadLettered(
      body,
      {
        functionName,
        tier,
        deliveryCount: Number(context.triggerMetadata?.deliveryCount ?? 1) || 1,
        maxDeliveryCount: 1,
        ...(typeof messageId === 'string' && messageId !== '' ? { messageId } : {}),
      },
      deadLetterFacts(context),
    );
    context.log(`${functionName}: ${result}`);
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** GET /api/dead-letters?limit= — what Triage refused or found dead-lettered, newest first. */
export const listDeadLettersHandler = authorized('dead-letters:read', async (request, _context, caller) => {
  const limit = Number(request.query.get('limit') ?? '100');
  return jsonResponse(200, { items: await caller.listDeadLetters(limit) });
});

for (const topic of workTopics(topology)) {
  for (const tier of topology.tiers.map((t) => t.name)) {
    app.serviceBusTopic(`${topic.functionPrefix}-${tier}-dead-letters`, {
      topicName: topic.name,
      subscriptionName: `${tierSubscription(topology, topic.name, tier).name}/$DeadLetterQueue`,
      connection: settingNames.serviceBusConnection,
      handler: deadLetterHandler(topic, tier),
    });
  }
}

app.http('listDeadLetters', {
  route: 'dead-letters',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: listDeadLettersHandler,
});
