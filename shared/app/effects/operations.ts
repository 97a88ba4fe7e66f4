import { ensureError } from '../../domain/errors';
import {
  afterPoll,
  defaultOperationPolicy,
  type OperationPolicy,
  type PendingOperation,
  type PollStep,
} from '../../domain/long-running';
import type { WorkMessage } from '../../domain/messages';
import type { AppContext } from '../context';
import type { ExecutionOutcome, ExecutionTask } from '../ports/executor';
import type { DeliveryContext } from './delivery';
import { scheduleSuccessor } from './successor';

/**
 * The polling policy in force: the settings' (or the default), with polls never further apart than the
 * back-off's longest delay, so work that waits on the back-end never looks idle to the reconciler.
 */
export function operationPolicy(ctx: AppContext): OperationPolicy {
  const policy = ctx.settings.operations ?? defaultOperationPolicy;
  const maxPollMs = Math.min(policy.maxPollMs, ctx.settings.retry.maxDelayMs);
  return { ...policy, maxPollMs, minPollMs: Math.min(policy.minPollMs, maxPollMs) };
}

/**
 * Reads a long-running operation's status and decides what it means (ended, or polled again when). An
 * executor without `poll` starts the task again (its idempotency key makes that safe); one that throws
 * could not tell, which is transient.
 */
export async function pollOperation(
  ctx: AppContext,
  task: ExecutionTask,
  operation: PendingOperation,
): Promise<PollStep> {
  const executor = ctx.ports.executor;
  let answer: ExecutionOutcome;
  try {
    answer = executor.poll ? await executor.poll(task, operation.url) : await executor.execute(task);
  } catch (err: unknown) {
    answer = { ok: false, retryable: true, reason: ensureError(err).message };
  }
  return afterPoll(operationPolicy(ctx), operation, answer, ctx.clock());
}

/**
 * Schedules the message's successor for the next poll (`at`, never in the past): the work completes this
 * delivery and carries on when the back-end is due to be asked again.
 * @throws TriageError `dependency-unavailable` when Service Bus does not take it (the delivery is retried).
 */
export async function pollLater(
  ctx: AppContext,
  message: WorkMessage,
  delivery: DeliveryContext,
  at: Date,
): Promise<void> {
  const now = ctx.clock().getTime();
  await scheduleSuccessor(ctx, message, delivery, { at: new Date(Math.max(at.getTime(), now)), poll: true });
}
