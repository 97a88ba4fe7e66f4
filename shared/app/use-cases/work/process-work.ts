import { messageMismatch, poisonReason } from '../../../domain/message-truth';
import { schemaVersion, workMessageSchema, type WorkMessage } from '../../../domain/messages';
import type { RequestRecord } from '../../../domain/records';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { ensureRequest } from '../../effects/ensure-request';
import { recordEvent } from '../../effects/history';
import { mutateRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';
import { refuseMessage } from '../../effects/refuse-message';
import { resolveTier } from '../../views/resolve-tier';
import { planMigration } from './plan-migration';
import { processBatch } from './process-batch';
import { processProvision } from './process-provision';
import type { WorkResult } from './work-result';

/**
 * One work message delivered to a tier Function. What it may do is decided by the stored request, never
 * by the message: a message that cannot be parsed, arrives at the wrong tier, names an unknown batch or
 * contradicts its stored request is refused (dead-letter log, metric, audit) and completed; a request whose
 * organisation's tier is lower than the tier it is on is re-routed, with the real tier written to its
 * record; otherwise it provisions, plans a migration or runs a batch.
 * @throws TriageError (retryable) for transient failures: the delivery protocol backs off.
 */
export async function processWork(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const parsed = workMessageSchema.safeParse(body);
  if (!parsed.success) {
    await refuseMessage(ctx, delivery, body, `poison: ${poisonReason(body, schemaVersion)}`);
    return 'rejected';
  }
  const message = parsed.data;
  if (message.tier !== delivery.tier) {
    await refuseMessage(
      ctx,
      delivery,
      body,
      `mis-addressed: a message for tier ${message.tier} delivered to tier ${delivery.tier}`,
    );
    return 'rejected';
  }
  const stored = await ctx.ports.requests.get(message.requestId);
  if (stored) {
    const batch =
      message.kind === 'migrate-batch'
        ? await ctx.ports.requests.getBatch(stored.id, message.batchNumber)
        : undefined;
    const mismatch = messageMismatch(stored, message, batch);
    if (mismatch) {
      await refuseMessage(ctx, delivery, body, `contradicts the stored request: ${mismatch}`, stored);
      return 'rejected';
    }
  } else if (message.kind === 'migrate-batch') {
    await refuseMessage(
      ctx,
      delivery,
      body,
      `poison: batch ${message.batchNumber} of unknown request ${message.requestId}`,
    );
    return 'rejected';
  }
  const realTier = await resolveTier(ctx, stored?.orgId ?? message.orgId);
  if (ctx.tiers.rankOf(message.tier) < ctx.tiers.rankOf(realTier)) {
    return reroute(ctx, message, stored, realTier, delivery);
  }

  switch (message.kind) {
    case 'provision':
      return processProvision(ctx, message, delivery);
    case 'migrate':
      return planMigration(ctx, message, delivery);
    case 'migrate-batch':
      return processBatch(ctx, message, delivery);
  }
}

/**
 * A message on a higher tier than its organisation's goes to the real tier: the record (and its
 * organisation index) says so first, then the message goes out under an id derived from the incoming one,
 * so a later re-route of the same request (after a retry) is never swallowed by duplicate detection.
 */
async function reroute(
  ctx: AppContext,
  message: WorkMessage,
  stored: RequestRecord | null,
  realTier: string,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const request = stored ?? (await ensureRequest(ctx, message, realTier));
  if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'duplicate';
  const saved =
    request.tier === realTier
      ? request
      : ((await mutateRequest(
          ctx,
          request.id,
          (c) => (c.tier === realTier ? null : { ...c, tier: realTier }),
          {
            known: request,
          },
        )) ?? request);
  await recordEvent(ctx, saved, {
    type: 'reroute',
    message: `message claimed tier ${message.tier}; organisation ${saved.orgId} is ${realTier}: re-routed`,
  });
  const incoming = delivery.messageId ?? message.requestId;
  await publishWork(ctx, [
    { message: { ...message, tier: realTier }, messageId: `${incoming}:reroute:${realTier}` },
  ]);
  return 'rerouted';
}
