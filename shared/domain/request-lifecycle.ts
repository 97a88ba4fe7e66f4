/**
 * The decisions of a request's life, as pure functions of the stored record: each returns the next record,
 * or null for "nothing to change". The effect that applies them (`mutateRequest`) checks the transition
 * against the status machine and records the history.
 */
import { TriageError } from './errors';
import { addDuplicates, type SkippedMailbox } from './duplicate-work';
import type { PendingOperation } from './long-running';
import type { RequestRecord } from './records';
import { canTransition, finalStatusFor, isTerminal } from './status';

/** A recorded request moves to `queued` before its message goes out (the history reads received → queued). */
export function decideQueue(current: RequestRecord): RequestRecord | null {
  return current.status === 'received' ? { ...current, status: 'queued' } : null;
}

/**
 * Whether a replayed submission must publish again: its first attempt may have stopped after recording
 * and before publishing. The deterministic messageId makes a second publish of a message that did go out
 * harmless (duplicate detection drops it).
 */
export function mayNeedPublishing(record: RequestRecord): boolean {
  return (
    record.status === 'received' ||
    (record.status === 'queued' && !record.processedBy && record.retryCount === 0)
  );
}

/**
 * Cancelling stops what has not started; cancelling twice changes nothing.
 * @throws TriageError `invalid-transition` once the request has finished.
 */
export function decideCancel(current: RequestRecord): RequestRecord | null {
  if (current.status === 'cancelled') return null;
  if (!canTransition(current.status, 'cancelled')) {
    throw new TriageError('invalid-transition', `request is already ${current.status}`);
  }
  return { ...current, status: 'cancelled' };
}

/**
 * A provisioning starts unless it already runs or finished (a redelivery, a cancel in between); with a
 * pool, the pool that holds its capacity is recorded on it.
 */
export function decideStartProvision(
  current: RequestRecord,
  functionName: string,
  poolId?: string | null,
): RequestRecord | null {
  if (current.status === 'running' || isTerminal(current.status)) return null;
  return { ...current, status: 'running', processedBy: functionName, ...(poolId ? { poolId } : {}) };
}

/**
 * A provisioning the back-end took on as a long-running operation (or whose operation moved on): recorded
 * so the polls find it — also when it was cancelled meanwhile (what it ends as is still recorded). Nothing to
 * do once the outcome is recorded.
 */
export function decideOperationPending(
  current: RequestRecord,
  operation: PendingOperation,
  attempts: number,
): RequestRecord | null {
  if (current.succeeded + current.failed > 0) return null;
  if (isTerminal(current.status) && current.status !== 'cancelled') return null;
  return { ...current, operation, attempts };
}

/** What an executor call's outcome means for a provisioning: success, a recorded failure, or nothing. */
export type ProvisionOutcome = { attempts?: number } & (
  | { ok: true }
  | { ok: false; reason: string; /** transient failures exhausted the retries */ deadLettered: boolean }
);

/**
 * The record after a provisioning's executor call. A request cancelled while the call was in flight keeps
 * its status but records what ran (an operator must not provision again what already exists).
 */
export function decideProvisionOutcome(
  current: RequestRecord,
  outcome: ProvisionOutcome,
  functionName: string,
): RequestRecord | null {
  const counts = outcome.ok ? { succeeded: 1, failed: 0 } : { succeeded: 0, failed: 1 };
  const attempts = outcome.attempts === undefined ? {} : { attempts: outcome.attempts };
  if (current.status === 'cancelled') {
    if (current.succeeded + current.failed > 0) return null;
    return { ...current, ...counts, ...attempts, operation: undefined, processedBy: functionName };
  }
  if (isTerminal(current.status)) return null;
  if (outcome.ok) {
    return {
      ...current,
      status: 'completed',
      ...counts,
      ...attempts,
      operation: undefined,
      processedBy: functionName,
    };
  }
  return {
    ...current,
    status: 'failed',
    operation: undefined,
    ...counts,
    ...attempts,
    reason: outcome.reason,
    deadLettered: outcome.deadLettered,
    processedBy: functionName,
  };
}

/** A migration is planned once: its batch count and total are fixed, and an empty one completes at once. */
export function decidePlanned(
  current: RequestRecord,
  plan: { batchCount: number; total: number; functionName: string; skipped?: readonly SkippedMailbox[] },
): RequestRecord | null {
  if (current.batchCount !== undefined || isTerminal(current.status)) return null;
  // Batches planned in earlier chunks may all have finished already.
  const done = current.batchesCompleted >= plan.batchCount;
  const duplicates = addDuplicates(current.duplicates, plan.skipped ?? []);
  return {
    ...current,
    ...(duplicates ? { duplicates } : {}),
    batchCount: plan.batchCount,
    total: plan.total,
    status: done ? finalStatusFor(current) : 'running',
    processedBy: plan.functionName,
    planning: undefined,
  };
}

/**
 * One chunk of a migration's planning recorded: the request runs from its first chunk (its batches are
 * already out), showing what is planned so far. Only the chunk that starts where the record says applies:
 * a duplicate delivery of an earlier chunk changes nothing (null).
 */
export function decidePlanningChunk(
  current: RequestRecord,
  chunk: {
    fromBatch: number;
    batches: number;
    mailboxes: number;
    cursor: string;
    functionName: string;
    /** How many batches the next chunk plans (see `nextChunkBatches`). */
    nextChunkBatches: number;
    /** Inventory entries read before the chunk (see `entriesPlanned`): which chunk this is. */
    fromEntry: number;
    /** Mailboxes of the chunk left out: other requests in flight hold them (not in `mailboxes`). */
    skipped?: readonly SkippedMailbox[];
  },
): RequestRecord | null {
  if (current.batchCount !== undefined || isTerminal(current.status)) return null;
  if (entriesPlanned(current) !== chunk.fromEntry) return null;
  const mailboxes = (current.planning?.mailboxes ?? 0) + chunk.mailboxes;
  const skipped = chunk.skipped ?? [];
  const duplicates = addDuplicates(current.duplicates, skipped);
  return {
    ...current,
    ...(duplicates ? { duplicates } : {}),
    status: 'running',
    // An inline list's size is known from the intake (less what is skipped); an uploaded inventory's grows
    // as it is read.
    total: Math.max(current.total - skipped.length, mailboxes),
    processedBy: chunk.functionName,
    planning: {
      batches: chunk.fromBatch + chunk.batches,
      mailboxes,
      cursor: chunk.cursor,
      chunkBatches: chunk.nextChunkBatches,
    },
  };
}

/**
 * Inventory entries a migration's planning has gone through: planned plus skipped as duplicates. Unlike the
 * batches planned, it grows with every chunk (a chunk whose mailboxes were all skipped plans no batch), so
 * it names a chunk: a racing second delivery of the same chunk finds it moved on.
 */
export function entriesPlanned(record: Pick<RequestRecord, 'planning' | 'duplicates'>): number {
  return (record.planning?.mailboxes ?? 0) + (record.duplicates?.skipped ?? 0);
}

/** A planning invocation should take about this long: far below a lock period (PT1M), whatever the storage's speed. */
export const planningChunkTargetMs = 10_000;

/**
 * The size of the next planning chunk from how long the last one took: halved when it ran past twice the
 * target, doubled (up to `maxBatches`) when it took under half of it, so an invocation stays near the target
 * even when the storage slows down as a large migration fills it.
 */
export function nextChunkBatches(lastBatches: number, lastMs: number, maxBatches: number): number {
  if (lastMs > 2 * planningChunkTargetMs)
    return Math.max(1, Math.min(maxBatches, Math.floor(lastBatches / 2)));
  if (lastMs < planningChunkTargetMs / 2) return Math.min(maxBatches, lastBatches * 2);
  return Math.min(maxBatches, lastBatches);
}

/**
 * A migration cancelled while it was being planned: planning stops where it was, the batches already out
 * are its batches (they settle as cancelled with what ran), and the mailboxes never planned count as
 * cancelled. Null when there is nothing to settle.
 */
export function decideCancelledPlanning(current: RequestRecord): RequestRecord | null {
  if (current.status !== 'cancelled' || current.batchCount !== undefined || !current.planning) return null;
  return {
    ...current,
    batchCount: current.planning.batches,
    skipped: (current.skipped ?? 0) + Math.max(0, current.total - current.planning.mailboxes),
    planning: undefined,
  };
}

/**
 * A request whose processing failed permanently (bad input found late: a corrupt inventory) fails with
 * its reason; a finished one is left alone.
 */
export function decidePermanentFailure(current: RequestRecord, reason: string): RequestRecord | null {
  if (isTerminal(current.status) || !canTransition(current.status, 'failed')) return null;
  // The counters stay as they are: what failed is the request as a whole, not a counted item.
  return { ...current, status: 'failed', reason };
}

/**
 * A migration under the programme's calendar: `scheduled` while it has planned days, `deferred` while none
 * (not ready, or no capacity); once a wave has started it, it runs, and re-plans only move its days.
 */
export function decideProgrammeStatus(current: RequestRecord, hasDays: boolean): RequestRecord | null {
  if (!['received', 'queued', 'deferred', 'scheduled'].includes(current.status)) return null;
  const status = hasDays ? 'scheduled' : 'deferred';
  return current.status === status ? null : { ...current, status };
}

/** A wave handed more of its inventory to batches: it runs, with more batches to complete. */
export function decideWaveStarted(
  current: RequestRecord,
  batchCount: number,
  functionName: string,
): RequestRecord | null {
  if (isTerminal(current.status)) return null;
  const next = Math.max(current.batchCount ?? 0, batchCount);
  if (current.status === 'running' && current.batchCount === next) return null;
  return {
    ...current,
    status: 'running',
    batchCount: next,
    processedBy: current.processedBy ?? functionName,
  };
}

/** A provisioning waits in its pool's line: `deferred`, keeping its place (its arrival). */
export function decideDeferred(current: RequestRecord, poolId: string): RequestRecord | null {
  if (current.status !== 'queued' && current.status !== 'received') {
    return current.status === 'deferred' && current.poolId !== poolId ? { ...current, poolId } : null;
  }
  return { ...current, status: 'deferred', poolId };
}

/** Capacity was admitted to a waiting provisioning: it goes back to `queued` and its Function runs it. */
export function decideAdmitted(current: RequestRecord): RequestRecord | null {
  return current.status === 'deferred' ? { ...current, status: 'queued' } : null;
}
