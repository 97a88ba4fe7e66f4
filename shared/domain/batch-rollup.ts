/**
 * Completing a batch: its counters and the request's roll-up, decided together so they commit in one
 * ETag-checked transaction (a batch is never counted twice, nor lost).
 */
import type { BatchRecord, ItemRecord, RequestRecord } from './records';
import { finalStatusFor, isTerminal } from './status';

/** Final items of a batch, counted. */
export function countFinalItems(items: readonly ItemRecord[]): { succeeded: number; failed: number } {
  let succeeded = 0;
  let failed = 0;
  for (const item of items) {
    if (item.status === 'succeeded') succeeded++;
    else if (item.status === 'failed') failed++;
  }
  return { succeeded, failed };
}

export interface BatchCompletion {
  succeeded: number;
  failed: number;
  functionName: string;
  /** Set when the batch is about to be dead-lettered (transient failures exhausted its deliveries). */
  deadLetterReason?: string;
}

/**
 * The completed batch and the request with the batch rolled up: when the last batch completes, the request
 * takes its final status from its counts; otherwise it is (still) running. A finished or cancelled request
 * keeps its status but still counts what ran.
 * @returns null when the batch is already completed (a duplicate delivery).
 */
export function rollUpBatch(
  batch: BatchRecord,
  request: RequestRecord,
  completion: BatchCompletion,
): { batch: BatchRecord; request: RequestRecord } | null {
  if (batch.status === 'completed' || batch.status === 'cancelled') return null;
  // What the batch already counted (a batch a retry re-opened keeps its succeeded items) is not added twice.
  const next: RequestRecord = {
    ...request,
    succeeded: request.succeeded + completion.succeeded - batch.succeeded,
    failed: request.failed + completion.failed - batch.failed,
    batchesCompleted: request.batchesCompleted + 1,
    ...(completion.deadLetterReason ? { deadLettered: true } : {}),
  };
  // Under the programme's calendar more batches come with later waves: done means every mailbox is final.
  const allDone =
    request.batchCount !== undefined &&
    next.batchesCompleted >= request.batchCount &&
    next.succeeded + next.failed >= next.total;
  if (!isTerminal(request.status)) next.status = allDone ? finalStatusFor(next) : 'running';
  return {
    batch: {
      ...batch,
      status: 'completed',
      inProgress: undefined,
      succeeded: completion.succeeded,
      failed: completion.failed,
      processedBy: completion.functionName,
      // A batch flagged dead-lettered whose work was finished by another message is no longer dead.
      ...(completion.deadLetterReason
        ? { deadLettered: true, lastError: completion.deadLetterReason }
        : batch.deadLettered
          ? { deadLettered: false, lastError: undefined }
          : {}),
    },
    request: next,
  };
}

/**
 * A batch of a cancelled request, settled with what ran: its final items count (in-flight ones finished
 * before this), the rest are counted as cancelled (`skipped`), so the request's counts are exact.
 * @returns null when the batch is already settled.
 */
export function settleCancelledBatch(
  batch: BatchRecord,
  request: RequestRecord,
  finalItems: { succeeded: number; failed: number },
  functionName: string,
): { batch: BatchRecord; request: RequestRecord } | null {
  if (batch.status === 'completed' || batch.status === 'cancelled') return null;
  const notRun = Math.max(0, batch.total - finalItems.succeeded - finalItems.failed);
  return {
    batch: { ...batch, status: 'cancelled', inProgress: undefined, ...finalItems, processedBy: functionName },
    request: {
      ...request,
      succeeded: request.succeeded + finalItems.succeeded - batch.succeeded,
      failed: request.failed + finalItems.failed - batch.failed,
      skipped: (request.skipped ?? 0) + notRun,
      batchesCompleted: request.batchesCompleted + 1,
    },
  };
}

/**
 * A batch that failed permanently (its manifest is gone or corrupt): what ran stays counted, every item
 * not final counts as failed, and the reason stays on the batch.
 */
export function failBatch(
  batch: BatchRecord,
  request: RequestRecord,
  finalItems: { succeeded: number; failed: number },
  reason: string,
  functionName: string,
): { batch: BatchRecord; request: RequestRecord } | null {
  const rolled = rollUpBatch(batch, request, {
    succeeded: finalItems.succeeded,
    failed: Math.max(finalItems.failed, batch.total - finalItems.succeeded),
    functionName,
  });
  return rolled && { ...rolled, batch: { ...rolled.batch, lastError: reason } };
}
