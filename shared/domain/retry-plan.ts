/**
 * What `POST /api/requests/{id}/retry` replays, decided from the stored records:
 * - a finished request with failures re-queues them (a failed provisioning; a migration's batches with
 *   failed items, their roll-up undone);
 * - an unfinished request replays what was dead-lettered (its own message when `reason` marks it, and each
 *   dead-lettered batch that is not completed), each under a new deterministic messageId.
 * Clearing a flag is the claim: two concurrent retries do not replay the same message twice.
 */
import { addDuplicates, type SkippedMailbox } from './duplicate-work';
import type { BatchRecord, RequestRecord } from './records';
import { isTerminal } from './status';

/** Only finished requests with failures are re-queued. */
export function isRetryableOutcome(record: RequestRecord): boolean {
  return record.status === 'failed' || record.status === 'completed-with-errors';
}

/** A provisioning (or a migration that never got planned) goes back to `queued` with its counters reset. */
export function decideRequeue(current: RequestRecord, retryCount: number): RequestRecord | null {
  if (!isRetryableOutcome(current)) return null;
  return {
    ...current,
    status: 'queued',
    succeeded: 0,
    failed: 0,
    deadLettered: false,
    retryCount,
    reason: undefined,
    chainAttempt: undefined,
  };
}

/** A completed batch is re-opened when some of its items failed or its message was dead-lettered. */
export function needsReopening(batch: BatchRecord): boolean {
  return batch.status === 'completed' && (batch.failed > 0 || batch.deadLettered === true);
}

/** What a re-opened batch leaves failed: items another request in flight migrates now, and those reported. */
export interface KeptFailures {
  /** Failed items of the batch that are not re-queued: they stay counted as failed, in batch and request. */
  failed: number;
  /** Mailboxes reported as duplicates with this re-opening (added to the request's summary once). */
  reported: readonly SkippedMailbox[];
}

/**
 * Re-opens a completed batch and takes its re-queued failures out of the request's counts, in one
 * transaction; its succeeded items stay counted (they are not run again), and so do the failures it keeps
 * (`kept.failed`), so progress shows only what is re-queued as pending and the batch's roll-up on
 * completion (which counts every failed item again) adds nothing twice.
 */
export function reopenBatch(
  batch: BatchRecord,
  request: RequestRecord,
  retryCount: number,
  kept: KeptFailures = { failed: 0, reported: [] },
): { batch: BatchRecord; request: RequestRecord } | null {
  if (batch.status !== 'completed') return null;
  const keptFailed = Math.min(kept.failed, batch.failed);
  const duplicates = addDuplicates(request.duplicates, kept.reported);
  return {
    batch: {
      ...batch,
      status: 'queued',
      failed: keptFailed,
      deadLettered: false,
      chainAttempt: undefined,
    },
    request: {
      ...request,
      status: 'queued',
      failed: request.failed - batch.failed + keptFailed,
      batchesCompleted: request.batchesCompleted - 1,
      retryCount,
      deadLettered: false,
      ...(duplicates ? { duplicates } : {}),
    },
  };
}

/** Clears the request's own dead-letter (its `reason` marks its own message as the one to replay). */
export function clearOwnDeadLetter(current: RequestRecord, retryCount: number): RequestRecord | null {
  if (isTerminal(current.status) || !current.deadLettered || current.reason === undefined) return null;
  return {
    ...current,
    deadLettered: false,
    reason: undefined,
    retryCount: Math.max(current.retryCount, retryCount),
    chainAttempt: undefined,
  };
}

/** A batch whose message was dead-lettered before it completed is replayed. */
export function needsReplay(batch: BatchRecord): boolean {
  return batch.status !== 'completed' && batch.deadLettered === true;
}

/** Clears a batch's dead-letter for its replay; the request's own dead-letter stays until its message is replayed. */
export function clearBatchDeadLetter(
  batch: BatchRecord,
  request: RequestRecord,
  retryCount: number,
): { batch: BatchRecord; request: RequestRecord } | null {
  if (!needsReplay(batch) || isTerminal(request.status)) return null;
  return {
    batch: { ...batch, deadLettered: false, lastError: undefined, chainAttempt: undefined },
    request: {
      ...request,
      deadLettered: request.reason === undefined ? false : (request.deadLettered ?? false),
      retryCount: Math.max(request.retryCount, retryCount),
    },
  };
}

/** Puts back a batch's dead-letter flag when its replay could not be published. */
export function restoreBatchDeadLetter(
  batch: BatchRecord,
  request: RequestRecord,
  lastError: string | undefined,
): { batch: BatchRecord; request: RequestRecord } | null {
  if (batch.status === 'completed' || batch.deadLettered || isTerminal(request.status)) return null;
  return {
    batch: { ...batch, deadLettered: true, ...(lastError !== undefined ? { lastError } : {}) },
    request: { ...request, deadLettered: true },
  };
}

/** Puts back the request's dead-letter (and its own reason) when a replay could not be published. */
export function restoreOwnDeadLetter(
  current: RequestRecord,
  ownReason: string | undefined,
): RequestRecord | null {
  if (isTerminal(current.status)) return null;
  return {
    ...current,
    deadLettered: true,
    ...(ownReason !== undefined && current.reason === undefined ? { reason: ownReason } : {}),
  };
}

/**
 * Whether a delivered message is an older attempt of its chain than the record has reached (a completed
 * message delivered again after its successor was scheduled): a duplicate, nothing to do.
 */
export function isSupersededAttempt(
  record: { chainAttempt?: number },
  message: { attempt?: number },
): boolean {
  return (message.attempt ?? 1) < (record.chainAttempt ?? 0);
}

/**
 * A re-opened batch whose re-queued items `lost` were taken over by another request in the moment before the
 * retry re-opened it (the request still read as finished then): they stay failed, counted in batch and
 * request, and are reported. Null once the batch has left `queued` (its message ran: nothing to correct).
 */
export function keepLostItems(
  batch: BatchRecord,
  request: RequestRecord,
  lost: number,
  reported: readonly SkippedMailbox[],
): { batch: BatchRecord; request: RequestRecord } | null {
  if (batch.status !== 'queued' || lost <= 0) return null;
  const duplicates = addDuplicates(request.duplicates, reported);
  return {
    batch: { ...batch, failed: batch.failed + lost },
    request: { ...request, failed: request.failed + lost, ...(duplicates ? { duplicates } : {}) },
  };
}
