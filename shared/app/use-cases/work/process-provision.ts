import { provisionAttempt, isLastDelivery } from '../../../domain/delivery';
import type { ProvisionMessage } from '../../../domain/messages';
import { decideProvisionOutcome, decideStartProvision } from '../../../domain/request-lifecycle';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import {
  execute,
  exhaustedAfterRecording,
  transientFailure,
  type DeliveryContext,
} from '../../effects/delivery';
import { ensureRequest } from '../../effects/ensure-request';
import { acquireSlots, holdingSlots, scheduleSuccessor } from '../../effects/execution-slots';
import { recordEvent } from '../../effects/history';
import { mutateRequest } from '../../effects/mutate-request';
import { decideAndApply } from '../../effects/pool-requests';
import { passPool } from './pass-pool';
import type { WorkResult } from './work-result';

/**
 * Runs a provisioning once: `running`, one executor call with a stable idempotency key, then `completed`
 * or `failed`. A transient failure throws (redelivery) until the last delivery, which records the failure
 * and its dead-letter before Service Bus dead-letters the message.
 */
export async function processProvision(
  ctx: AppContext,
  message: ProvisionMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const request = await ensureRequest(ctx, message, message.tier);
  if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'duplicate';
  // A declared pool for its resource: capacity first, in tier order (the stored request is the truth).
  const resource = request.resource ?? message.resource;
  const poolId = await ctx.ports.pools.findByResource(resource.type, resource.region);
  if (poolId && (await passPool(ctx, poolId, request)) === 'deferred') return 'deferred';
  const running = await mutateRequest(
    ctx,
    request.id,
    (c) => decideStartProvision(c, delivery.functionName, poolId),
    poolId ? {} : { known: request },
  );
  // Cancelled (or finished by another delivery) since it was read: nothing starts.
  if (running && isTerminal(running.status))
    return running.status === 'cancelled' ? 'cancelled' : 'duplicate';
  // The slot gate: one executor call, one execution slot, in tier order with every other unit of work.
  const slot = await acquireSlots(ctx, { leaseId: `${request.id}:provision`, request, want: 1 });
  if (slot === 'later') {
    await scheduleSuccessor(ctx, message, `${request.id}:provision`);
    return 'rescheduled';
  }
  const outcome = await holdingSlots(slot, () =>
    execute(ctx, {
      kind: 'provision',
      requestId: request.id,
      orgId: request.orgId,
      tier: request.tier,
      itemId: request.id,
      idempotencyKey: `${request.id}:provision`,
      payload: { resource: message.resource },
      attempt: provisionAttempt(request.retryCount, delivery),
    }),
  );
  if (!outcome.ok && outcome.retryable && !isLastDelivery(delivery)) {
    throw transientFailure(`transient: ${outcome.reason}`);
  }
  const deadLettered = !outcome.ok && outcome.retryable;
  await mutateRequest(
    ctx,
    request.id,
    (c) =>
      decideProvisionOutcome(
        c,
        outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason, deadLettered },
        delivery.functionName,
      ),
    {
      ...(outcome.ok ? (outcome.detail ? { event: outcome.detail } : {}) : { event: outcome.reason }),
      ...(running ? { known: running } : {}),
    },
  );
  // A failed provisioning holds nothing: its capacity goes back to the pool (and the line moves).
  if (!outcome.ok && poolId) await decideAndApply(ctx, poolId, { remove: request.id });
  if (!outcome.ok && deadLettered) {
    await recordEvent(ctx, request, {
      type: 'dead-letter',
      message: `delivery ${delivery.deliveryCount} of ${delivery.maxDeliveryCount} failed: ${outcome.reason}`,
    });
    // Throwing on the last delivery lets Service Bus dead-letter the message (MaxDeliveryCountExceeded).
    throw exhaustedAfterRecording(delivery);
  }
  return outcome.ok ? 'completed' : 'failed';
}
