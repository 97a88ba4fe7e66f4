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

/** `retryable` is the single bit that decides between "redeliver" and "record the failure and complete". */
export type ExecutionOutcome =
  { ok: true; detail?: string } | { ok: false; retryable: boolean; reason: string };

/** Performs tasks. Implementations never throw for task failures: they return an outcome. */
export interface Executor {
  readonly name: string;
  /** Rejects only when `signal` aborts (with the signal's reason). */
  execute(task: ExecutionTask, signal?: AbortSignal): Promise<ExecutionOutcome>;
}
