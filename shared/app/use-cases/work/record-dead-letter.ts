import { batchLabel } from '../../../domain/batches';
import {
  deadLetterReason,
  flagBatchDeadLettered,
  flagRequestDeadLettered,
} from '../../../domain/dead-letters';
import { isLastDelivery } from '../../../domain/delivery';
import { workMessageSchema, type WorkMessage } from '../../../domain/messages';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { ensureRequest } from '../../effects/ensure-request';
import { recordEvent } from '../../effects/history';
import { mutateBatchAndRequest } from '../../effects/mutate-batch';
import { mutateRequest } from '../../effects/mutate-request';
import { resolveTier } from '../../views/resolve-tier';

/**
 * What recording did: `recorded` (flags and one `dead-letter` event written), `already-recorded` (an
 * earlier call recorded this dead-letter), or `ignored` (not the last delivery, a malformed message, or
 * nothing left to replay: finished, cancelled, unknown).
 */
export type DeadLetterRecording = 'recorded' | 'already-recorded' | 'ignored';

/**
 * Records a work message that is about to be dead-lettered for a reason other than the executor's, so it
 * is visible on GET /api/requests/{id} and replayable by POST …/retry: a batch message flags its batch and
 * the request (one transaction); a provisioning or planning message flags the request with `reason` (its
 * status is left alone: the outcome is unknown, not failed). Idempotent; finished requests, completed
 * batches and malformed messages are ignored.
 */
export async function recordDeadLetter(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
  reason: string,
): Promise<DeadLetterRecording> {
  if (!isLastDelivery(delivery)) return 'ignored';
  const parsed = workMessageSchema.safeParse(body);
  if (!parsed.success) return 'ignored';
  return flagDeadLettered(ctx, parsed.data, deadLetterReason(delivery, delivery.functionName, reason));
}

/**
 * Flags a work message's request (or batch) as dead-lettered with `why`, so it is visible and replayable by
 * retry; idempotent, and finished requests or completed batches are left alone.
 */
export async function flagDeadLettered(
  ctx: AppContext,
  message: WorkMessage,
  why: string,
): Promise<DeadLetterRecording> {
  // What the last decision found when nothing was written (the closures may run once per conflict).
  const found: { decision: 'already-recorded' | 'ignored' } = { decision: 'ignored' };
  if (message.kind === 'migrate-batch') {
    const written = await mutateBatchAndRequest(
      ctx,
      message.requestId,
      message.batchNumber,
      (batch, request) => {
        const decision = flagBatchDeadLettered(batch, request, why);
        if (typeof decision === 'object') return decision.flag;
        found.decision = decision;
        return null;
      },
    );
    if (!written) return found.decision;
    await recordEvent(ctx, written.request, {
      type: 'dead-letter',
      message: `${batchLabel(message.batchNumber)} dead-lettered: ${why}`,
    });
    return 'recorded';
  }

  // The request exists unless its very creation kept failing (a trusted producer's message): record it
  // now, at the tier processWork would have used, so the dead-letter is visible and replayable.
  const known = await ctx.ports.requests.get(message.requestId);
  const request = known ?? (await ensureRequest(ctx, message, await servedTier(ctx, message)));
  let flagged = false;
  const saved = await mutateRequest(
    ctx,
    request.id,
    (current) => {
      const decision = flagRequestDeadLettered(current, why);
      flagged = typeof decision === 'object';
      if (typeof decision === 'object') return decision.flag;
      found.decision = decision;
      return null;
    },
    { known: request },
  );
  if (!saved || !flagged) return saved ? found.decision : 'ignored';
  await recordEvent(ctx, saved, {
    type: 'dead-letter',
    message: `${message.kind} message dead-lettered: ${why}`,
  });
  return 'recorded';
}

async function servedTier(ctx: AppContext, message: { orgId: string; tier: string }): Promise<string> {
  const realTier = await resolveTier(ctx, message.orgId);
  return ctx.tiers.rankOf(message.tier) < ctx.tiers.rankOf(realTier) ? realTier : message.tier;
}
