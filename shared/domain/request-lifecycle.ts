/**
 * The decisions of a request's life, as pure functions of the stored record: each returns the next record,
 * or null for "nothing to change". The effect that applies them (`mutateRequest`) checks the transition
 * against the status machine and records the history.
 */
import { TriageError } from './errors';
import type { RequestRecord } from './records';
import { canTransition, isTerminal } from './status';

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

/** What an executor call's outcome means for a provisioning: success, a recorded failure, or nothing. */
export type ProvisionOutcome =
  | { ok: true }
  | { ok: false; reason: string; /** transient failures exhausted the deliveries */ deadLettered: boolean };

export function decideProvisionOutcome(
  current: RequestRecord,
  outcome: ProvisionOutcome,
  functionName: string,
): RequestRecord | null {
  if (isTerminal(current.status)) return null;
  if (outcome.ok) {
    return { ...current, status: 'completed', succeeded: 1, failed: 0, processedBy: functionName };
  }
  return {
    ...current,
    status: 'failed',
    succeeded: 0,
    failed: 1,
    reason: outcome.reason,
    deadLettered: outcome.deadLettered,
    processedBy: functionName,
  };
}

/** A migration is planned once: its batch count and total are fixed, and an empty one completes at once. */
export function decidePlanned(
  current: RequestRecord,
  plan: { batchCount: number; total: number; functionName: string },
): RequestRecord | null {
  if (current.batchCount !== undefined || isTerminal(current.status)) return null;
  return {
    ...current,
    batchCount: plan.batchCount,
    total: plan.total,
    status: plan.batchCount === 0 ? 'completed' : 'running',
    processedBy: plan.functionName,
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
