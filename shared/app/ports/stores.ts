import type { Org, OrgAuditEntry } from '../../domain/orgs';
import type { ReadinessCheck } from '../../domain/scheduling/readiness';
import type { RequestKind } from '../../domain/requests';
import type { BatchRecord, ItemRecord, RequestEvent, RequestRecord } from '../../domain/records';
import type { TotalsByTier } from '../../domain/request-totals';
import type { RequestStatus } from '../../domain/status';

export interface ListRequestsFilter {
  orgId?: string;
  tier?: string;
  status?: RequestStatus;
  kind?: RequestKind;
}

export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

/**
 * Requests and their batches. Batches live in the request's partition so a batch's completion and the
 * request's roll-up commit together (one entity-group transaction, ETag-checked on both).
 */
export interface RequestStore {
  /** @throws TriageError `conflict` when the id exists. */
  create(record: RequestRecord): Promise<RequestRecord>;
  get(requestId: string): Promise<RequestRecord | null>;
  /**
   * Replaces the stored request if its ETag still matches; `reindex` also rewrites its organisation index
   * row (its tier changed: a re-route). @throws TriageError `concurrency` on a stale ETag.
   */
  update(record: RequestRecord, options?: { reindex?: boolean }): Promise<RequestRecord>;
  /** Newest first across organisations (one organisation: in its index's order). */
  list(filter: ListRequestsFilter, limit: number, continuationToken?: string): Promise<Page<RequestRecord>>;
  /** Every request counted per tier and status, with the mailboxes they carry (no full scan per call). */
  totals(): Promise<TotalsByTier>;
  /** Creates the batches that do not exist yet; existing ones keep their state. */
  ensureBatches(batches: BatchRecord[]): Promise<void>;
  getBatch(requestId: string, batchNumber: number): Promise<BatchRecord | null>;
  listBatches(requestId: string): Promise<BatchRecord[]>;
  /** @throws TriageError `concurrency` on a stale ETag. */
  updateBatch(batch: BatchRecord): Promise<BatchRecord>;
  /**
   * Atomically replaces a batch and its request (both ETag-checked).
   * @throws TriageError `concurrency` when either changed since read.
   */
  commitBatchAndRequest(batch: BatchRecord, request: RequestRecord): Promise<void>;
}

/** Per-item state, one partition per batch. */
export interface ItemStore {
  list(requestId: string, batchNumber: number): Promise<ItemRecord[]>;
  /** Writes in entity-group transactions of at most 100. */
  write(requestId: string, batchNumber: number, items: ItemRecord[]): Promise<void>;
}

/** The append-only history of a request (status changes, tier decisions). */
export interface EventStore {
  append(event: Omit<RequestEvent, 'eventId' | 'published'>): Promise<RequestEvent>;
  list(requestId: string): Promise<RequestEvent[]>;
  markPublished(requestId: string, eventId: string): Promise<void>;
}

/** The organisation registry and its audit log. */
export interface OrgStore {
  get(orgId: string): Promise<Org | null>;
  /** Replaces the organisation and appends its audit entry, atomically. */
  upsert(org: Omit<Org, 'registered'>, audit: OrgAuditEntry): Promise<Org>;
  /** Every change to the organisation, oldest first. */
  listAudit(orgId: string): Promise<OrgAuditEntry[]>;
  /** One page of registered organisations, in orgId order. */
  list(filter: ListOrgsFilter, limit: number, continuationToken?: string): Promise<Page<Org>>;
  /** What the organisation's IT admins last reported, or null. */
  getReadiness(orgId: string): Promise<StoredReadiness | null>;
  putReadiness(orgId: string, readiness: StoredReadiness): Promise<void>;
}

export interface ListOrgsFilter {
  tier?: string;
}

/** A readiness report as stored: the checks as reported (merged by name over earlier reports), and when. */
export interface StoredReadiness {
  checks: ReadinessCheck[];
  checkedAt: string;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; requestId: string; bodyHash: string };

/** Remembers Idempotency-Key → request, scoped by organisation. */
export interface IdempotencyStore {
  claim(orgId: string, key: string, bodyHash: string, requestId: string): Promise<IdempotencyClaim>;
}

/** One non-terminal request in the activity index: when it last made progress. */
export interface ActivityEntry {
  requestId: string;
  status: RequestStatus;
  /** ISO time of its last recorded progress. */
  progressAt: string;
}

/**
 * The non-terminal requests by last progress: what the reconciler reads instead of scanning every request.
 * Rows are upserted on progress and removed when a request finishes, so it holds only the requests in
 * flight (thousands, not the millions of items), spread over a few partitions.
 */
export interface ActivityIndex {
  touch(entry: ActivityEntry): Promise<void>;
  remove(requestId: string): Promise<void>;
  /** Up to `limit` entries whose progress is older than `before` (ISO). */
  listIdle(before: string, limit: number): Promise<ActivityEntry[]>;
}

/** A message that could not be attached to work (poison, mis-addressed, contradicting its request), kept for operators. */
export interface DeadLetterEntry {
  /** The message's id (or a generated one when it had none). */
  messageId: string;
  at: string;
  /** The Function that received it. */
  source: string;
  reason: string;
  requestId?: string;
  /** The start of the body as received, for diagnosis (at most 2,000 characters). */
  body: string;
}

/** The dead-letter log: every work message Triage refused, newest first. */
export interface DeadLetterLog {
  /** Idempotent per messageId and source. */
  record(entry: DeadLetterEntry): Promise<void>;
  list(limit: number): Promise<DeadLetterEntry[]>;
}
