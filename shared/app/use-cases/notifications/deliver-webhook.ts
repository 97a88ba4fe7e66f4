import { isLastDelivery, type DeliveryFacts } from '../../../domain/delivery';
import { TriageError } from '../../../domain/errors';
import { requestNotificationSchema } from '../../../domain/notification-schema';
import type { AppContext } from '../../context';

export type WebhookResult = 'delivered' | 'no-webhook' | 'refused' | 'malformed';

/**
 * One notification, delivered to its organisation's webhook (a Function on its own subscription of the
 * `notifications` topic, so a slow or failing receiver never holds up the pipeline). A retryable failure
 * throws: Service Bus redelivers it, and dead-letters it after the last delivery (visible, replayable).
 * A permanent refusal (the receiver answered 4xx, or the address is not allowed) is logged and completed.
 * @throws TriageError `dependency-unavailable` (retryable) when the receiver or the sender is not available.
 */
export async function deliverWebhook(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryFacts & { functionName: string },
): Promise<WebhookResult> {
  const parsed = requestNotificationSchema.safeParse(body);
  if (!parsed.success) {
    ctx.log('error', `${delivery.functionName}: not a notification: ${parsed.error.message.slice(0, 500)}`);
    return 'malformed';
  }
  const notification = parsed.data;
  const org = await ctx.ports.orgs.get(notification.orgId);
  const url = org?.notify?.webhookUrl;
  if (!url) return 'no-webhook';
  if (!ctx.ports.webhooks) {
    throw new TriageError('dependency-unavailable', 'webhooks are not configured (no signing secret)', {
      retryable: true,
    });
  }
  const outcome = await ctx.ports.webhooks.send(url, notification);
  if (outcome.ok) return 'delivered';
  if (!outcome.retryable) {
    ctx.log(
      'warn',
      `${delivery.functionName}: ${notification.type} for ${notification.requestId} refused: ${outcome.reason}`,
    );
    return 'refused';
  }
  const last = isLastDelivery(delivery) ? '; dead-lettering' : '';
  throw new TriageError(
    'dependency-unavailable',
    `${outcome.reason} (delivery ${delivery.deliveryCount} of ${delivery.maxDeliveryCount}${last})`,
    {
      retryable: true,
    },
  );
}
