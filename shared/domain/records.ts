/**
 * The stored records of the pipeline — requests, their batches, items and history — as the domain
 * decides on them and the ports persist them.
 */
import type { DuplicateSummary } from './duplicate-work';
import type { PendingOperation } from './long-running';
import type { RequestKind, Resource } from './requests';
import type { NotificationType } from './notifications';
import type { BatchStatus, ItemStatus, RequestStatus } from './status';

/** The stored request, as the API shows it. */
export interface RequestRecord {
  id: string;
  kind: RequestKind;
  orgId: string;
  tier: string;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  /** For provisioning: the resource asked for. */
  resource?: Resource;
  /** For provisioning: when the requester expects to give it back (ISO time; used by ETAs). */
  holdUntil?: string;
  /** For provisioning from a declared pool: the pool that holds (or will hold) its capacity. */
  poolId?: string;
  /** For migration: planned onto days of the programme's calendar (waves hand its mailboxes to batches). */
  programme?: boolean;
  /** For migration: the inventory blob. */
  inventory?: string;
  /** Set when the migration has been planned. */
  batchCount?: number;
  /** Planning in progress (chunk by chunk): batches and mailboxes planned so far, where the next chunk starts. */
  planning?: { batches: number; mailboxes: number; cursor?: string; chunkBatches?: number };
  batchesCompleted: number;
  total: number;
  succeeded: number;
  failed: number;
  /** Items never run because the request was cancelled (counted as its batches settle). */
  skipped?: number;
  /**
   * For migration: mailboxes left out because other requests in flight migrate them — by planning (not in
   * `total`) or by a retry (failed items it did not re-queue: in `total`, counted as failed).
   */
  duplicates?: DuplicateSummary;
  /** Body hash of an idempotent submission. */
  bodyHash?: string;
  /** The Function that processed it (`provision-health`), proving tier routing. */
  processedBy?: string;
  reason?: string;
  deadLettered?: boolean;
  retryCount: number;
  /** A provisioning's executor calls so far (an attempt is one executor call). */
  attempts?: number;
  /** A provisioning the back-end runs as a long-running operation: polled until it ends. */
  operation?: PendingOperation;
  /** The attempt its own message chain has reached: an older attempt delivered again is a duplicate. */
  chainAttempt?: number;
  /** Its message could not be published (the intake answered 503): the reconciler's outbox. */
  unpublished?: boolean;
  /** Optimistic-concurrency token of the stored entity. */
  etag?: string;
}

/** Progress of a request, from its rolled-up counters. */
export interface Progress {
  total: number;
  succeeded: number;
  failed: number;
  /** Items a cancel stopped before they ran (present once there are some). */
  cancelled?: number;
  pending: number;
  /** Of the pending, those running at the back-end as long-running operations (in a detailed view). */
  inProgress?: number;
}

export function progressOf(
  record: Pick<RequestRecord, 'total' | 'succeeded' | 'failed' | 'skipped'>,
): Progress {
  const cancelled = record.skipped ?? 0;
  return {
    total: record.total,
    succeeded: record.succeeded,
    failed: record.failed,
    ...(cancelled > 0 ? { cancelled } : {}),
    pending: Math.max(0, record.total - record.succeeded - record.failed - cancelled),
  };
}

/** One migration batch: its manifest and its counters, rolled up into the request when it completes. */
export interface BatchRecord {
  requestId: string;
  batchNumber: number;
  status: BatchStatus;
  total: number;
  succeeded: number;
  failed: number;
  manifest: string;
  /** The Function that processed it, proving tier routing. */
  processedBy?: string;
  deadLettered?: boolean;
  lastError?: string;
  /** The attempt its message chain has reached: an older attempt delivered again is a duplicate. */
  chainAttempt?: number;
  /** Items whose long-running operation was in progress when the batch's last delivery ended. */
  inProgress?: number;
  etag?: string;
}

/** One executed mailbox of a batch. Only final outcomes are stored; a missing row is still pending. */
export interface ItemRecord {
  index: number;
  address: string;
  status: ItemStatus;
  attempts: number;
  reason?: string;
  detail?: string;
  at: string;
  /** While `in-progress`: the back-end's operation, polled until it ends. */
  operation?: PendingOperation;
}

export type RequestEventType =
  | 'status'
  | 'tier-check'
  | 'reroute'
  | 'dead-letter'
  | 'retry'
  | 'note'
  | 'eta'
  | 'promotion'
  /** The request's report was written (`message`: its blob name in `reports`). */
  | 'report';

/** One entry of a request's append-only history; `notification` marks the events a requester is told. */
export interface RequestEvent {
  eventId: string;
  requestId: string;
  at: string;
  type: RequestEventType;
  status?: RequestStatus;
  message?: string;
  /** The notification published for this event (none for history-only events). */
  notification?: NotificationType;
  /** The status the request had when the event was recorded (so a notification can say it). */
  requestStatus?: RequestStatus;
  /** Position in a waiting line (1 = next) and the ETA (ISO time or local date; null: none expected). */
  position?: number;
  eta?: string | null;
  published?: boolean;
}
