import type { InventoryOwner } from '../../domain/identity/inventory-ownership';
import type { SkippedMailbox } from '../../domain/duplicate-work';
import type { InventoryRowProblem, MailboxEntry } from '../../domain/inventory';

/** Result of an inventory import. `blobName` is null when the import was rejected: nothing was written. */
export interface InventoryImportResult {
  /** The blob name inside the inventories container, to pass as a migration's `inventory`. */
  blobName: string | null;
  /** Data rows read (valid and bad; the header and blank lines are not rows). */
  rowCount: number;
  /** Bad rows with their 1-based line numbers, in file order; capped (see `badRowCount`). */
  badRows: InventoryRowProblem[];
  /** Rows with a problem, when `badRows` was capped (at 100 problems); absent otherwise. */
  badRowCount?: number;
  /** Problems in all (a row can have two), when `badRows` was capped; absent otherwise. */
  problemCount?: number;
}

/**
 * Durable artifacts of the pipeline: mailbox inventories and per-batch manifests. Names returned are blob
 * names inside their container (inventories: `{orgId}/…ndjson`, `_requests/{requestId}.ndjson`;
 * manifests: `{requestId}/batch-0001.ndjson` and `.csv`).
 */
export interface ArtifactStore {
  /**
   * Streams a CSV inventory (Exchange Online migration format), validating every row; writes the
   * normalised inventory only when every row is valid, there is at least one, and the size is within
   * `maxBytes`. Throws (error `name` `InventoryTooLargeError`, `code` `InventoryTooLarge`) when the
   * input exceeds `maxBytes`; nothing is written then either. The blob's metadata records `orgId` (its
   * owner) and `uploadedBy`.
   */
  importInventoryCsv(
    orgId: string,
    csv: AsyncIterable<Uint8Array>,
    options?: { maxBytes?: number; uploadedBy?: string },
  ): Promise<InventoryImportResult>;
  /**
   * Writes a request's inline mailbox list, owned by the organisation and that request (metadata);
   * returns the blob name (`_requests/{requestId}.ndjson`).
   */
  writeInventory(orgId: string, requestId: string, mailboxes: MailboxEntry[]): Promise<string>;
  /**
   * What the inventory's metadata says about its owner; null for a missing blob and for any name that is
   * not a valid inventory name (safe on caller input).
   */
  inventoryOwner(blobName: string): Promise<InventoryOwner | null>;
  /**
   * Streams an inventory (NDJSON, or a `.csv` an operator uploaded). Throws `ArtifactNotFoundError` when
   * missing and `InventoryInvalidError` (with `badRows`) at the first invalid entry.
   */
  readInventory(blobName: string): AsyncIterable<MailboxEntry>;
  /**
   * Reads at most `maxEntries` entries of an inventory from `cursor` (undefined: the start), so planning
   * holds one chunk in memory and resumes where the previous invocation stopped. `next` is absent at the end.
   * The cursor is opaque (a byte offset for NDJSON). Errors as for `readInventory`.
   */
  readInventoryChunk(
    blobName: string,
    cursor: string | undefined,
    maxEntries: number,
  ): Promise<{ entries: MailboxEntry[]; next?: string }>;
  /** Writes (or idempotently overwrites) a batch's NDJSON manifest and its Exchange-format CSV. */
  writeBatchManifest(
    requestId: string,
    batchNumber: number,
    mailboxes: MailboxEntry[],
  ): Promise<{ ndjsonBlob: string; csvBlob: string }>;
  /** Throws `ArtifactNotFoundError` when the manifest does not exist. */
  readBatchManifest(requestId: string, batchNumber: number): Promise<MailboxEntry[]>;
  /**
   * Writes (or replaces) a request's report in `reports` from its lines as they come, in blocks: memory
   * stays bounded however many items it has, and nothing is visible until the last block is committed.
   * @returns its blob name (`{requestId}.csv`).
   */
  writeReport(requestId: string, lines: AsyncIterable<string>): Promise<string>;
  /** A request's report as a byte stream, or null when none was written. */
  readReport(requestId: string): Promise<AsyncIterable<Uint8Array> | null>;
  /**
   * Writes (or idempotently overwrites) the mailboxes one planning chunk (or a retry) skipped because other
   * requests in flight hold them (`{requestId}/duplicates-0000001.ndjson`, named by the entries gone through
   * before them, so the list reads in the order they were skipped).
   */
  writeDuplicates(requestId: string, fromBatch: number, skipped: readonly SkippedMailbox[]): Promise<string>;
  /** Every mailbox a request skipped as a duplicate, chunk by chunk in planning order (none: empty). */
  readDuplicates(requestId: string): AsyncIterable<SkippedMailbox>;
  /** Creates the containers if they do not exist (idempotent, safe to run concurrently). */
  ensureContainers(): Promise<void>;
}
