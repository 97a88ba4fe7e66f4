/**
 * How a provisioning's executor call ends on its record: completed or failed, a transient failure for the
 * back-off, or a long-running operation the back-end runs — polled on scheduled messages until it ends
 * (also after a cancel: what it ends as is recorded, so nobody provisions it again).
 */
import { isPollDue, startOperation, type PendingOperation } from '../../../domain/long-running';
import type { ProvisionMessage } from '../../../domain/messages';
import type { RequestRecord } from '../../../domain/records';
import type { Resource } from '../../../domain/requests';
import { decideOperationPending, decideProvisionOutcome } from '../../../domain/request-lifecycle';
import type { AppContext } from '../../context';
import { transientFailure, type DeliveryContext } from '../../effects/delivery';
import { mutateRequest } from '../../effects/mutate-request';
import { operationPolicy, pollLater, pollOperation } from '../../effects/operations';
import { decideAndApply } from '../../effects/pool-requests';
import type { ExecutionOutcome, ExecutionTask } from '../../ports/executor';
import type { WorkResult } from './work-result';

/** What the executor is asked to do for a provisioning (the same task for its start and its polls). */
export function provisionTask(request: RequestRecord, resource: Resource, attempt: number): ExecutionTask {
  return {
    kind: 'provision',
    requestId: request.id,
    orgId: request.orgId,
    tier: request.tier,
    itemId: request.id,
    idempotencyKey: `${request.id}:provision`,
    payload: { resource },
    attempt,
  };
}

/**
 * Records what the executor answered for a provisioning.
 * @throws TriageError (retryable) for a transient failure: the delivery protocol schedules the next attempt.
 */
export async function recordProvisionOutcome(
  ctx: AppContext,
  message: ProvisionMessage,
  delivery: DeliveryContext,
  call: { outcome: ExecutionOutcome; attempt: number; poolId: string | null; known?: RequestRecord },
): Promise<WorkResult> {
  const { outcome, attempt, poolId } = call;
  const requestId = message.requestId;
  if (outcome.ok === 'in-progress') {
    const policy = operationPolicy(ctx);
    const operation = startOperation(policy, outcome.operationUrl, outcome.retryAfterMs, ctx.clock());
    return awaitOperation(ctx, message, delivery, { operation, attempt, known: call.known });
  }
  if (!outcome.ok && outcome.retryable) throw transientFailure(`transient: ${outcome.reason}`);
  const saved = await mutateRequest(
    ctx,
    requestId,
    (c) =>
      decideProvisionOutcome(
        c,
        outcome.ok
          ? { ok: true, attempts: attempt }
          : { ok: false, reason: outcome.reason, deadLettered: false, attempts: attempt },
        delivery.functionName,
      ),
    {
      ...(outcome.ok ? (outcome.detail ? { event: outcome.detail } : {}) : { event: outcome.reason }),
      ...(call.known ? { known: call.known } : {}),
    },
  );
  // A failed provisioning holds nothing: its capacity goes back to the pool (and the line moves).
  if (!outcome.ok && poolId) await decideAndApply(ctx, poolId, { remove: requestId });
  if (saved?.status === 'cancelled') return 'cancelled';
  return outcome.ok ? 'completed' : 'failed';
}

/**
 * A provisioning whose operation the back-end is running: polls it when due (no execution slot: a poll
 * starts nothing) and records how it ended, or when to ask next.
 */
export async function pollProvision(
  ctx: AppContext,
  request: RequestRecord & { operation: PendingOperation },
  message: ProvisionMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const attempt = request.attempts ?? 1;
  if (!isPollDue(request.operation, ctx.clock())) {
    await pollLater(ctx, message, delivery, new Date(request.operation.nextPollAt));
    return 'in-progress';
  }
  const resource = request.resource ?? message.resource;
  const step = await pollOperation(ctx, provisionTask(request, resource, attempt), request.operation);
  if ('pending' in step) {
    return awaitOperation(ctx, message, delivery, { operation: step.pending, attempt, known: request });
  }
  const poolId = request.poolId ?? (await ctx.ports.pools.findByResource(resource.type, resource.region));
  const outcome: ExecutionOutcome = step.ended.ok
    ? { ok: true, ...(step.ended.detail ? { detail: step.ended.detail } : {}) }
    : { ok: false, retryable: false, reason: step.ended.reason };
  return recordProvisionOutcome(ctx, message, delivery, { outcome, attempt, poolId, known: request });
}

/** Records the open operation on the request and schedules the poll that reads it next. */
async function awaitOperation(
  ctx: AppContext,
  message: ProvisionMessage,
  delivery: DeliveryContext,
  open: { operation: PendingOperation; attempt: number; known?: RequestRecord | undefined },
): Promise<WorkResult> {
  const saved = await mutateRequest(
    ctx,
    message.requestId,
    (c) => decideOperationPending(c, open.operation, open.attempt),
    open.known ? { known: open.known } : {},
  );
  // Its outcome was recorded meanwhile (another delivery): nothing is left to poll.
  if (!saved?.operation) return saved?.status === 'cancelled' ? 'cancelled' : 'duplicate';
  await pollLater(ctx, message, delivery, new Date(open.operation.nextPollAt));
  return 'in-progress';
}
