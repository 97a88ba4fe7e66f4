/**
 * Recording a work message that is about to be dead-lettered for a reason other than the executor's (a
 * Table or Blob write, a publish, a roll-up that kept conflicting, a bug), so it is visible on the request
 * and replayable by a retry. The request's status is left alone: the work's outcome is unknown, not failed.
 */
import type { DeliveryFacts } from './delivery';
import type { BatchRecord, RequestRecord } from './records';
import { isTerminal } from './status';

/** The reason stored on the request or batch, bounded so a huge error cannot bloat the record. */
export function deadLetterReason(delivery: DeliveryFacts, functionName: string, reason: string): string {
  return `delivery ${delivery.deliveryCount} of ${delivery.maxDeliveryCount} (${functionName}) failed: ${reason.slice(0, 1000)}`;
}

/** What flagging found: a change to write, a dead-letter already flagged, or nothing left to replay. */
export type FlagDecision<T> = { flag: T } | 'already-recorded' | 'ignored';

/** A batch message: flag the batch and its request, unless it completed or the request finished. */
export function flagBatchDeadLettered(
  batch: BatchRecord,
  request: RequestRecord,
  why: string,
): FlagDecision<{ batch: BatchRecord; request: RequestRecord }> {
  if (batch.status === 'completed' || isTerminal(request.status)) return 'ignored';
  if (batch.deadLettered) return 'already-recorded';
  return {
    flag: {
      batch: { ...batch, deadLettered: true, lastError: why },
      request: { ...request, deadLettered: true },
    },
  };
}

/** The request's own message: `reason` marks it as the message to replay. */
export function flagRequestDeadLettered(current: RequestRecord, why: string): FlagDecision<RequestRecord> {
  if (isTerminal(current.status)) return 'ignored';
  if (current.deadLettered && current.reason !== undefined) return 'already-recorded';
  return { flag: { ...current, deadLettered: true, reason: why } };
}
