import { TriageError } from './errors';

/**
 * A request's life. `deferred`: waiting for capacity or readiness, with a position, an ETA and a reason;
 * `scheduled`: a migration planned onto future days of the programme's calendar.
 */
export const requestStatuses = [
  'received',
  'queued',
  'deferred',
  'scheduled',
  'running',
  'completed',
  'completed-with-errors',
  'failed',
  'cancelled',
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export const terminalStatuses: ReadonlySet<RequestStatus> = new Set([
  'completed',
  'completed-with-errors',
  'failed',
  'cancelled',
]);

const transitions: Record<RequestStatus, readonly RequestStatus[]> = {
  received: ['queued', 'running', 'deferred', 'scheduled', 'failed', 'cancelled', 'completed'],
  queued: ['running', 'deferred', 'scheduled', 'failed', 'cancelled', 'completed', 'completed-with-errors'],
  deferred: ['queued', 'scheduled', 'running', 'failed', 'cancelled'],
  scheduled: ['running', 'deferred', 'failed', 'cancelled', 'completed'],
  running: ['completed', 'completed-with-errors', 'failed', 'cancelled'],
  // A retry re-queues what failed; nothing leaves `completed` or `cancelled`.
  'completed-with-errors': ['queued'],
  failed: ['queued'],
  completed: [],
  cancelled: [],
};

export function isTerminal(status: RequestStatus): boolean {
  return terminalStatuses.has(status);
}

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return transitions[from].includes(to);
}

/**
 * Checks a status change.
 * @throws TriageError `invalid-transition` (not retryable) when the machine does not allow it.
 */
export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (!canTransition(from, to)) {
    throw new TriageError('invalid-transition', `a request cannot go from "${from}" to "${to}"`);
  }
}

/** The final status of a finished piece of work from its counts. */
export function finalStatusFor(counts: { succeeded: number; failed: number }): RequestStatus {
  if (counts.failed === 0) return 'completed';
  return counts.succeeded === 0 ? 'failed' : 'completed-with-errors';
}

/**
 * Item states inside a migration batch. `retry` marks a failed item re-queued by an operator; `in-progress`
 * a long-running operation the back-end started and Triage polls.
 */
export type ItemStatus = 'succeeded' | 'failed' | 'retry' | 'in-progress';
export type BatchStatus = 'queued' | 'running' | 'completed' | 'cancelled';
