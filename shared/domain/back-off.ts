/**
 * Back-off for transient failures: a failed delivery is completed and a successor message is scheduled
 * (exponential delay with jitter), carrying its attempt number and when the first attempt ran, until the
 * chain has been trying for `maxTotalMs`. A short outage costs a few retries; a long one costs time, not work.
 */

export interface BackOffPolicy {
  /** Upper bound of the first delay; it doubles per attempt. */
  baseDelayMs: number;
  /** Longest delay between two attempts (also bounds how long a waiting chain looks idle). */
  maxDelayMs: number;
  /** How long a chain keeps trying, from its first attempt; then the work is recorded as given up. */
  maxTotalMs: number;
}

/** 1 s, doubling to at most 5 minutes, for up to an hour: a 15-minute outage is retried, not lost. */
export const defaultBackOff: BackOffPolicy = {
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  maxTotalMs: 60 * 60_000,
};

/** Where a message stands in its chain of attempts (absent fields: the first attempt, starting now). */
export interface AttemptChain {
  /** 1-based attempt of this message's chain. */
  attempt: number;
  /** When the chain's first attempt was delivered. */
  firstAttemptAt: Date;
}

export type RetryDecision =
  { retry: true; attempt: number; at: Date; delayMs: number } | { retry: false; triedForMs: number };

/**
 * The delay before attempt `attempt + 1`: equal jitter (half the exponential step fixed, half random in
 * `[0, 1)` from `random`), so retries that failed together spread out yet never come back at once.
 */
export function backOffDelayMs(policy: BackOffPolicy, attempt: number, random: number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(step / 2 + random * (step / 2));
}

/**
 * Whether a transient failure of `chain` is retried, and when; no retry once the successor would run past
 * `maxTotalMs` after the first attempt.
 */
export function decideRetry(
  policy: BackOffPolicy,
  chain: AttemptChain,
  now: Date,
  random: number,
): RetryDecision {
  const delayMs = backOffDelayMs(policy, chain.attempt, random);
  const at = new Date(now.getTime() + delayMs);
  const triedForMs = now.getTime() - chain.firstAttemptAt.getTime();
  if (at.getTime() - chain.firstAttemptAt.getTime() > policy.maxTotalMs) return { retry: false, triedForMs };
  return { retry: true, attempt: chain.attempt + 1, at, delayMs };
}

/**
 * `…:a3` (attempt 3 of a chain), `…:a3:p4` (its fourth poll of long-running operations), `…:a3:p4:w2` (the
 * second wait for execution slots since), or none of them.
 */
const successorSuffix = /(?::a(\d+))?(?::p(\d+))?(?::w(\d+))?$/;

/**
 * Why a successor carries on: a transient failure (its next attempt), a wait for execution slots, or a poll
 * of long-running operations the back-end is running.
 */
export type SuccessorReason = { retry: number } | 'wait' | 'poll';

/**
 * The messageId of a scheduled successor, derived from the incoming message's: a redelivery of the same
 * message schedules the same successor (duplicate detection drops the second), and ids never grow. A retry
 * names its attempt (`:a{n}`); a wait for execution slots keeps the attempt (no executor call failed) and
 * counts the waits since it (`:w{n}`); a poll keeps the attempt too and counts the polls since it (`:p{n}`,
 * dropping the waits), so a chain of waits and polls never repeats an id.
 */
export function successorMessageId(incomingMessageId: string, reason: SuccessorReason): string {
  const match = successorSuffix.exec(incomingMessageId);
  const base = incomingMessageId.slice(0, match?.index ?? incomingMessageId.length);
  if (typeof reason === 'object') return `${base}:a${reason.retry}`;
  const attempt = match?.[1] ? `:a${match[1]}` : '';
  const polls = Number(match?.[2] ?? 0);
  if (reason === 'poll') return `${base}${attempt}:p${polls + 1}`;
  const poll = polls > 0 ? `:p${polls}` : '';
  return `${base}${attempt}${poll}:w${Number(match?.[3] ?? 0) + 1}`;
}

/**
 * The attempt number the executor sees for one piece of work: the executor calls made for it before (kept
 * on its record when a retry re-opened it) plus this chain's attempt. An attempt is one executor call.
 */
export function executorAttempt(priorAttempts: number | undefined, chainAttempt: number): number {
  return (priorAttempts ?? 0) + chainAttempt;
}
