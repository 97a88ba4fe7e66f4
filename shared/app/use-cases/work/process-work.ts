import { messageIds } from '../../../domain/batches';
import { workMessageSchema, type WorkMessage } from '../../../domain/messages';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { ensureRequest } from '../../effects/ensure-request';
import { recordEvent } from '../../effects/history';
import { publishWork } from '../../effects/publish';
import { resolveTier } from '../../views/resolve-tier';
import { planMigration } from './plan-migration';
import { processBatch } from './process-batch';
import { processProvision } from './process-provision';
import type { WorkResult } from './work-result';

/**
 * One work message delivered to a tier Function: verifies the tier, re-routes a message that claims a
 * higher tier than its organisation's, then provisions, plans a migration or runs a batch.
 * @throws TriageError (retryable) for transient failures: the delivery protocol lets Service Bus redeliver.
 */
export async function processWork(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const parsed = workMessageSchema.safeParse(body);
  if (!parsed.success) {
    // A malformed message can never succeed: complete it rather than loop until dead-lettered.
    ctx.log('error', `${delivery.functionName}: rejected malformed message: ${parsed.error.message}`);
    return 'rejected';
  }
  const message = parsed.data;
  if (message.tier !== delivery.tier) {
    ctx.log(
      'error',
      `${delivery.functionName}: message for tier ${message.tier} delivered to tier ${delivery.tier}; rejected`,
    );
    return 'rejected';
  }
  const realTier = await resolveTier(ctx, message.orgId);
  if (ctx.tiers.rankOf(message.tier) < ctx.tiers.rankOf(realTier)) return reroute(ctx, message, realTier);

  switch (message.kind) {
    case 'provision':
      return processProvision(ctx, message, delivery);
    case 'migrate':
      return planMigration(ctx, message, delivery);
    case 'migrate-batch':
      return processBatch(ctx, message, delivery);
  }
}

/** A message claiming a higher tier than its organisation's goes to its real tier, recorded in the history. */
async function reroute(ctx: AppContext, message: WorkMessage, realTier: string): Promise<WorkResult> {
  const request = await ensureRequest(ctx, message, realTier);
  await recordEvent(ctx, request, {
    type: 'reroute',
    message: `message claimed tier ${message.tier}; organisation ${message.orgId} is ${realTier}: re-routed`,
  });
  await publishWork(ctx, [
    {
      message: { ...message, tier: realTier },
      messageId: messageIds.reroute(
        message.requestId,
        realTier,
        message.kind === 'migrate-batch' ? message.batchNumber : undefined,
      ),
    },
  ]);
  return 'rerouted';
}
