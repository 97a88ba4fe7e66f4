/**
 * The delivery protocol's building blocks, shared by the work use-cases: how an executor call ends, and
 * the errors that tell the tier Function what to do with the message (see `handle-delivery`).
 */
import { ensureError, TriageError } from '../../domain/errors';
import type { DeliveryFacts } from '../../domain/delivery';
import type { AppContext } from '../context';
import type { ExecutionOutcome, ExecutionTask } from '../ports/executor';

/** Where a work message was delivered: the Function, its tier and Service Bus delivery facts. */
export interface DeliveryContext extends DeliveryFacts {
  functionName: string;
  /** The tier this Function serves (from its subscription). */
  tier: string;
  /** The incoming message's id: what its successors' and re-routes' ids derive from. */
  messageId?: string;
}

/** Runs one task; an executor that throws (it should return an outcome) counts as a transient failure. */
export async function execute(ctx: AppContext, task: ExecutionTask): Promise<ExecutionOutcome> {
  try {
    return await ctx.ports.executor.execute(task);
  } catch (err: unknown) {
    return { ok: false, retryable: true, reason: ensureError(err).message };
  }
}

/** A transient failure: thrown so Service Bus redelivers the message. */
export function transientFailure(message: string): TriageError {
  return new TriageError('execution-failed', message, { retryable: true });
}
