/**
 * Long-running work at the back-end (the asynchronous request-reply pattern): a start answered
 * `202 Accepted` with a status URL is an operation in progress. Triage records it on the item (or the
 * provisioning), and a scheduled message polls it later — no invocation is held while it runs. Every poll
 * time is bounded twice: by the policy's longest interval (so a polling batch never looks idle to the
 * reconciler) and by the operation's deadline (after which it is failed, replayable by `retry`).
 */

/** An operation the back-end started and Triage polls until it ends. Times are ISO strings. */
export interface PendingOperation {
  /** Where its status is read (the back-end's `Location`, resolved and checked by the executor). */
  url: string;
  startedAt: string;
  /** Past this, an operation still in progress is failed. */
  deadlineAt: string;
  nextPollAt: string;
  /** Status reads so far. */
  polls: number;
}

export interface OperationPolicy {
  /** Between two polls when the back-end gives no `Retry-After`. */
  defaultPollMs: number;
  /** Shortest and longest wait between two polls: `Retry-After` is clamped to them. */
  minPollMs: number;
  maxPollMs: number;
  /** How long an operation may stay in progress, from its start. */
  deadlineMs: number;
}

/** Poll every 30 s unless told otherwise, at most every 5 minutes, and give up after 24 hours. */
export const defaultOperationPolicy: OperationPolicy = {
  defaultPollMs: 30_000,
  minPollMs: 1_000,
  maxPollMs: 5 * 60_000,
  deadlineMs: 24 * 60 * 60_000,
};

/** Longest status URL kept on a record (Table properties hold 32 K characters; URLs this long are abuse). */
export const maxOperationUrlLength = 2048;

/**
 * The wait a `Retry-After` header asks for, in ms: delta-seconds (`120`) or an HTTP-date (a date in the past
 * is 0). Undefined when absent or unreadable, so the caller's default applies.
 */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) {
    const seconds = Number(value);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // HTTP-dates carry a weekday name and "GMT"; a bare number or a relative phrase is not one.
  if (!/GMT$/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** When to read an operation's status next: the asked wait clamped to the policy, never after its deadline. */
export function nextPollTime(
  policy: OperationPolicy,
  retryAfterMs: number | undefined,
  now: Date,
  deadlineAt: Date,
): Date {
  const asked = retryAfterMs ?? policy.defaultPollMs;
  const wait = Math.min(policy.maxPollMs, Math.max(policy.minPollMs, asked));
  // A poll exactly at the deadline still gets the chance to see the operation finish.
  return new Date(Math.max(now.getTime(), Math.min(now.getTime() + wait, deadlineAt.getTime())));
}

/** An operation the back-end has just started: its deadline runs from now. */
export function startOperation(
  policy: OperationPolicy,
  url: string,
  retryAfterMs: number | undefined,
  now: Date,
): PendingOperation {
  const deadlineAt = new Date(now.getTime() + policy.deadlineMs);
  return {
    url,
    startedAt: now.toISOString(),
    deadlineAt: deadlineAt.toISOString(),
    nextPollAt: nextPollTime(policy, retryAfterMs, now, deadlineAt).toISOString(),
    polls: 0,
  };
}

/**
 * After a poll found the operation still in progress (or could not read it): the next poll, on the URL the
 * back-end gave this time (it may move the status), or `deadline-passed` once the deadline is reached.
 */
export function continueOperation(
  policy: OperationPolicy,
  operation: PendingOperation,
  poll: { url?: string; retryAfterMs?: number },
  now: Date,
): PendingOperation | 'deadline-passed' {
  const deadlineAt = new Date(operation.deadlineAt);
  if (now.getTime() >= deadlineAt.getTime()) return 'deadline-passed';
  return {
    ...operation,
    url: poll.url ?? operation.url,
    nextPollAt: nextPollTime(policy, poll.retryAfterMs, now, deadlineAt).toISOString(),
    polls: operation.polls + 1,
  };
}

/** What the API shows of an operation: its times and polls, not its status URL (the back-end's business). */
export function operationView(operation: PendingOperation): {
  startedAt: string;
  nextPollAt: string;
  deadlineAt: string;
  polls: number;
} {
  const { startedAt, nextPollAt, deadlineAt, polls } = operation;
  return { startedAt, nextPollAt, deadlineAt, polls };
}

/** A scheduled poll may be delivered a little early: an operation due within this is polled now. */
export const pollEarlyMs = 1_000;

/** Whether an operation's next poll is due (a little early is fine: the scheduled message may run early). */
export function isPollDue(operation: PendingOperation, now: Date, earlyMs = pollEarlyMs): boolean {
  return Date.parse(operation.nextPollAt) <= now.getTime() + earlyMs;
}

/** The earliest next poll of `operations`, if there is one. */
export function earliestPoll(operations: readonly PendingOperation[]): Date | undefined {
  let earliest: number | undefined;
  for (const operation of operations) {
    const at = Date.parse(operation.nextPollAt);
    if (earliest === undefined || at < earliest) earliest = at;
  }
  return earliest === undefined ? undefined : new Date(earliest);
}

/** Why an operation was failed at its deadline (what an operator reads on the item). */
export function deadlineReason(operation: PendingOperation): string {
  const allowedMs = Date.parse(operation.deadlineAt) - Date.parse(operation.startedAt);
  const hours = Math.round((allowedMs / 3_600_000) * 10) / 10;
  return `still in progress at its deadline (${hours} h after ${operation.startedAt}; status ${operation.url})`;
}

/** What an executor answered about an operation (the shape of the executor port's outcome). */
export type OperationAnswer =
  | { ok: true; detail?: string }
  | { ok: false; retryable: boolean; reason: string }
  | { ok: 'in-progress'; operationUrl: string; retryAfterMs?: number; detail?: string };

/** Where an operation stands after a poll: ended (as the item's final outcome), or still to be polled. */
export type PollStep =
  | { ended: { ok: true; detail?: string } | { ok: false; reason: string } }
  | { pending: PendingOperation; problem?: string };

/**
 * Decides what a poll's answer means for the operation: done or failed ends it; still in progress, or no
 * answer (a transient failure), keeps it — until its deadline, which fails it with the reason.
 */
export function afterPoll(
  policy: OperationPolicy,
  operation: PendingOperation,
  answer: OperationAnswer,
  now: Date,
): PollStep {
  if (answer.ok === true) return { ended: { ok: true, ...(answer.detail ? { detail: answer.detail } : {}) } };
  if (answer.ok === false && !answer.retryable) return { ended: { ok: false, reason: answer.reason } };
  const next =
    answer.ok === 'in-progress'
      ? continueOperation(
          policy,
          operation,
          {
            url: answer.operationUrl,
            ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}),
          },
          now,
        )
      : continueOperation(policy, operation, {}, now);
  const problem = answer.ok === false ? answer.reason : undefined;
  if (next === 'deadline-passed') {
    return {
      ended: { ok: false, reason: `${deadlineReason(operation)}${problem ? `; last poll: ${problem}` : ''}` },
    };
  }
  return { pending: next, ...(problem ? { problem } : {}) };
}
