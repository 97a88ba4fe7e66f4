import { executorAttempt } from '../../../domain/back-off';
import { workKey } from '../../../domain/holds';
import type { ProvisionMessage } from '../../../domain/messages';
import { decideStartProvision } from '../../../domain/request-lifecycle';
import { isSupersededAttempt } from '../../../domain/retry-plan';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { execute, type DeliveryContext } from '../../effects/delivery';
import { ensureRequest } from '../../effects/ensure-request';
import { trackActivity } from '../../effects/activity';
import { acquireSlots, holdingSlots, waitForSlotsLater } from '../../effects/execution-slots';
import { mutateRequest } from '../../effects/mutate-request';
import { holdOnWork, trackRunning } from '../../effects/holds';
import { parkHeld } from './park-held';
import { passPool } from './pass-pool';
import { pollProvision, provisionTask, recordProvisionOutcome } from './provision-outcome';
import type { WorkResult } from './work-result';

/**
 * Runs a provisioning once: `running`, one executor call with a stable idempotency key, then `completed`
 * or `failed`. A transient failure throws: the delivery protocol schedules the next attempt (back-off) or,
 * when the chain's time is over, records it as given up. The call holds one execution slot; a wait for it
 * that runs out schedules a successor instead. A cancel while the call is in flight keeps the request
 * cancelled but records what ran. A back-end that runs it as a long-running operation (`202 Accepted`) is
 * polled on scheduled messages until it ends (`provision-outcome`).
 */
export async function processProvision(
  ctx: AppContext,
  message: ProvisionMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const request = await ensureRequest(ctx, message, message.tier);
  // Running at the back-end as a long-running operation: polled, also once cancelled (what it ends as
  // counts); while held, parked like any work (the drain report counts it) and polled on resume.
  if (request.operation && (request.status === 'running' || request.status === 'cancelled')) {
    const heldNow = request.status === 'running' ? await holdOnWork(ctx, request) : undefined;
    if (heldNow) return parkHeld(ctx, request, message, heldNow, 1);
    return pollProvision(ctx, { ...request, operation: request.operation }, message, delivery);
  }
  if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'duplicate';
  if (isSupersededAttempt(request, message)) return 'duplicate';
  // Held: not started, and not in a pool's line meanwhile (it arrives there on resume, at its own arrival
  // time, so it keeps its place); claims already waiting stay there and are not admitted while held.
  const hold = await holdOnWork(ctx, request);
  if (hold) return parkHeld(ctx, request, message, hold);
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
    await waitForSlotsLater(ctx, message, delivery);
    // A heartbeat for the reconciler: waiting for slots is not being stuck.
    await trackActivity(ctx, running ?? request);
    return 'rescheduled';
  }
  const attempt = executorAttempt(request.attempts, message.attempt ?? 1);
  const executing = await trackRunning(ctx, {
    key: workKey(request.id),
    kind: 'provision',
    requestId: request.id,
    tier: request.tier,
    orgId: request.orgId,
    itemsLeft: 1,
    concurrency: 1,
  });
  const outcome = await holdingSlots(slot, () =>
    execute(ctx, provisionTask(request, resource, attempt)),
  ).finally(() => executing.done());
  return recordProvisionOutcome(ctx, message, delivery, {
    outcome,
    attempt,
    poolId,
    ...(running ? { known: running } : {}),
  });
}
