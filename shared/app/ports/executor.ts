import type { OperationAnswer } from '../../domain/long-running';

/** A unit of work handed to an executor: one provisioning or one mailbox migration item. */
export interface ExecutionTask {
  kind: 'provision' | 'migrate-mailbox';
  requestId: string;
  orgId: string;
  tier: string;
  itemId: string;
  /** Stable across redeliveries and retries of the same item, so the downstream system can deduplicate. */
  idempotencyKey: string;
  payload: Record<string, unknown>;
  /** 1-based delivery attempt, as counted by the caller (e.g. Service Bus delivery count). */
  attempt: number;
}

/**
 * How one executor call ended. `retryable` is the single bit that decides between "try again later" and
 * "record the failure". `in-progress`: the back-end took the work on and it is still running (a long-running
 * operation, `202 Accepted`); its status is read at `operationUrl`, not sooner than `retryAfterMs` from now
 * (absent: the caller's default).
 */
export type ExecutionOutcome = OperationAnswer;

/** Performs tasks. Implementations never throw for task failures: they return an outcome. */
export interface Executor {
  readonly name: string;
  /** Rejects only when `signal` aborts (with the signal's reason). */
  execute(task: ExecutionTask, signal?: AbortSignal): Promise<ExecutionOutcome>;
  /**
   * Reads the status of a long-running operation `execute` (or an earlier poll) answered `in-progress` for
   * `task`. A transient failure means "could not tell": the operation is polled again later. Executors that
   * never answer `in-progress` need not implement it (an operation recorded under another executor is then
   * started again with `execute`, which the idempotency key makes safe).
   * Rejects only when `signal` aborts.
   */
  poll?(task: ExecutionTask, operationUrl: string, signal?: AbortSignal): Promise<ExecutionOutcome>;
}
