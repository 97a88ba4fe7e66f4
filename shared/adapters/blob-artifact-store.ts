import type { BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { parse, type CsvError, type Info } from 'csv-parse';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore, InventoryImportResult } from '../app/ports/artifact-store';
import { maxReportedProblems } from '../domain/bounded-validation';
import type { SkippedMailbox } from '../domain/duplicate-work';
import { isTriageError, TriageError } from '../domain/errors';
import { inlineInventoryName, type InventoryOwner } from '../domain/identity/inventory-ownership';
import { reportBlobName } from '../domain/report';
import { translateStorageError } from './storage-errors';
import {
  InventoryValidator,
  formatExchangeMigrationCsv,
  mailboxEntrySchema,
  skipAndTake,
  type InventoryRowProblem,
  type MailboxEntry,
} from '../domain/inventory';

/** Default ceiling of a CSV import; the HTTP layer usually enforces a smaller one first. */
export const DEFAULT_MAX_INVENTORY_BYTES = 100 * 1024 * 1024;
/** How many problems an import lists (the same bound as every answer); `badRowCount` is the true count of rows. */
export const MAX_REPORTED_BAD_ROWS = maxReportedProblems;
/** Staged block size: large enough to keep a 2M-mailbox inventory to a few dozen blocks. */
const BLOCK_BYTES = 4 * 1024 * 1024;
/** A CSV record longer than this is a broken row (an unclosed quote would otherwise swallow the file). */
const MAX_CSV_RECORD_BYTES = 64 * 1024;

const NDJSON_HEADERS = { blobContentType: 'application/x-ndjson; charset=utf-8' };
const CSV_HEADERS = { blobContentType: 'text/csv; charset=utf-8' };

/** One path segment of a blob name we build: no separators, no dot segments, no control characters. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** Inventory names accepted from callers: safe segments, ending in .ndjson or .csv. */
const INVENTORY_NAME =
  /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\/){0,8}[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\.(?:ndjson|csv)$/;
/** Azure container naming rules: 3–63 lowercase letters, digits and single hyphens. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A blob the caller asked for does not exist: `not-found` (the use-case decides whether that is final). */
function artifactNotFound(blobName: string, cause?: unknown): TriageError {
  return new TriageError('not-found', `artifact ${blobName} does not exist`, cause ? { cause } : {});
}

/**
 * A stored inventory holds an invalid entry (an operator-uploaded file, or a corrupt blob): `validation`,
 * permanent — no redelivery can fix the file. Each bad row is a field problem (`line 3: EmailAddress`).
 */
function inventoryInvalid(blobName: string, badRows: InventoryRowProblem[]): TriageError {
  return new TriageError(
    'validation',
    `inventory ${blobName} is invalid: ${badRows.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`,
    {
      fields: badRows.map((p) => ({
        field: `line ${p.line}${p.field ? `: ${p.field}` : ''}`,
        message: p.message,
      })),
    },
  );
}

/** An import exceeded its byte limit: `payload-too-large` (HTTP 413). */
function inventoryTooLarge(maxBytes: number): TriageError {
  return new TriageError('payload-too-large', `the inventory exceeds the limit of ${maxBytes} bytes`);
}

/** Options of {@link BlobArtifactStore}. */
export interface BlobArtifactStoreOptions {
  /** Prepended to the container names (`inventories`, `manifests`, `reports`), e.g. to isolate tests. */
  containerPrefix?: string;
}

/**
 * The artifact store on Blob Storage. Containers: `inventories` (imports under `{orgId}/`, inline lists
 * under `_requests/`, each with its owner in the metadata), `manifests` (`{requestId}/batch-0001.ndjson` + `.csv`) and `reports`.
 */
export class BlobArtifactStore implements ArtifactStore {
  /** The containers' full names (with the prefix). */
  readonly containers: { inventories: string; manifests: string; reports: string };
  private readonly inventories: ContainerClient;
  private readonly manifests: ContainerClient;
  private readonly reports: ContainerClient;

  /** @throws RangeError when the prefix makes an invalid container name. */
  constructor(blobServiceClient: BlobServiceClient, options: BlobArtifactStoreOptions = {}) {
    const prefix = options.containerPrefix ?? '';
    this.containers = {
      inventories: `${prefix}inventories`,
      manifests: `${prefix}manifests`,
      reports: `${prefix}reports`,
    };
    for (const name of Object.values(this.containers)) {
      if (!CONTAINER_NAME.test(name)) {
        throw new RangeError(
          `container prefix "${prefix}" makes an invalid container name "${name}" (lowercase letters, digits, single hyphens, ≤ 63 chars)`,
        );
      }
    }
    this.inventories = blobServiceClient.getContainerClient(this.containers.inventories);
    this.manifests = blobServiceClient.getContainerClient(this.containers.manifests);
    this.reports = blobServiceClient.getContainerClient(this.containers.reports);
  }

  async ensureContainers(): Promise<void> {
    await Promise.all([this.inventories, this.manifests, this.reports].map((c) => c.createIfNotExists()));
  }

  /**
   * @throws RangeError when `orgId` is not a safe blob path segment; TriageError `payload-too-large` past `maxBytes`;
   *   the storage SDK's error when Blob Storage fails (nothing is committed then either).
   */
  async importInventoryCsv(
    orgId: string,
    csv: AsyncIterable<Uint8Array>,
    options: { maxBytes?: number; uploadedBy?: string } = {},
  ): Promise<InventoryImportResult> {
    requireSegment('orgId', orgId);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_INVENTORY_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    const blobName = `${orgId}/${compactTimestamp(new Date())}-${randomBytes(8).toString('hex')}.ndjson`;
    const blob = this.inventories.getBlockBlobClient(blobName);
    const problems = new ProblemList();
    const staging = new BlockStager(blob);
    const validator = new InventoryValidator();
    let headerProblem = false;

    const onRecord = async (record: string[], info: Info): Promise<void> => {
      const line = startLine(record, info);
      if (!validator.hasHeader && !headerProblem) {
        const problem = validator.acceptHeader(record, line);
        if (problem) {
          headerProblem = true;
          problems.add(problem);
        }
        return;
      }
      if (headerProblem) return; // Without a usable header, rows cannot be judged.
      const result = validator.acceptRow(record, line);
      if (!result.ok) {
        problems.addRow(result.problems);
        return;
      }
      // Once a row is bad the import is rejected: keep validating for the report, stop writing.
      if (problems.count === 0) await staging.append(`${JSON.stringify(toEntry(result.entry))}\n`);
    };

    await parseCsv(limitBytes(csv, maxBytes), onRecord, (err) =>
      problems.add({ line: csvErrorLine(err), message: csvErrorMessage(err) }),
    );

    if (!validator.hasHeader && !headerProblem) {
      problems.add({
        line: 1,
        field: 'EmailAddress',
        message: 'the file is empty (expected an EmailAddress header)',
      });
    } else if (validator.hasHeader && validator.rowCount === 0 && problems.count === 0) {
      problems.add({ line: 2, message: 'the inventory has a header but no mailbox rows' });
    }
    const rowCount = validator.rowCount;
    if (problems.count > 0) return { blobName: null, rowCount, ...problems.report() };
    await staging.commit({
      orgid: orgId,
      rowcount: String(rowCount),
      source: 'csv-import',
      // Metadata values are ASCII: an id with other characters is kept, escaped.
      ...(options.uploadedBy ? { uploadedby: encodeURIComponent(options.uploadedBy) } : {}),
    });
    return { blobName, rowCount, badRows: [] };
  }

  /** @throws RangeError when `orgId` or `requestId` is not a safe blob path segment. */
  async writeInventory(orgId: string, requestId: string, mailboxes: MailboxEntry[]): Promise<string> {
    requireSegment('orgId', orgId);
    requireSegment('requestId', requestId);
    const blobName = inlineInventoryName(requestId);
    const body = Buffer.from(toNdjson(mailboxes), 'utf8');
    await this.inventories
      .getBlockBlobClient(blobName)
      .uploadData(body, {
        blobHTTPHeaders: NDJSON_HEADERS,
        metadata: {
          orgid: orgId,
          requestid: requestId,
          rowcount: String(mailboxes.length),
          source: 'request',
        },
      })
      .catch((err: unknown) => translateStorageError(err, `inventory ${blobName}`));
    return blobName;
  }

  async inventoryOwner(blobName: string): Promise<InventoryOwner | null> {
    if (!isInventoryName(blobName)) return null;
    let metadata: Record<string, string>;
    try {
      metadata = (await this.inventories.getBlockBlobClient(blobName).getProperties()).metadata ?? {};
    } catch (err: unknown) {
      if (statusCode(err) === 404) return null;
      return translateStorageError(err, `inventory ${blobName}`);
    }
    return {
      ...(metadata.orgid ? { orgId: metadata.orgid } : {}),
      ...(metadata.requestid ? { requestId: metadata.requestid } : {}),
      ...(metadata.source ? { source: metadata.source } : {}),
    };
  }

  /**
   * @throws TriageError `validation` for a name that is not an inventory name; TriageError `not-found` when missing;
   *   TriageError `validation` at the first invalid entry (entries before it have been yielded).
   */
  async *readInventory(blobName: string): AsyncIterable<MailboxEntry> {
    if (!isInventoryName(blobName)) {
      // The name may come from a message: a permanent error, not a programming mistake.
      throw new TriageError('validation', `"${blobName}" is not an inventory name`, {
        fields: [{ field: 'inventory', message: 'path segments ending in .ndjson or .csv' }],
      });
    }
    const stream = await this.download(this.inventories, blobName);
    if (blobName.endsWith('.csv')) yield* readCsvInventory(blobName, stream);
    else yield* readNdjson(blobName, stream);
  }

  /** @throws as `readInventory`; RangeError for a cursor this store did not return. */
  async readInventoryChunk(
    blobName: string,
    cursor: string | undefined,
    maxEntries: number,
  ): Promise<{ entries: MailboxEntry[]; next?: string }> {
    const start = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isSafeInteger(start) || start < 0)
      throw new RangeError(`"${cursor}" is not an inventory cursor`);
    if (blobName.endsWith('.csv') || !isInventoryName(blobName)) {
      // A CSV (only a trusted producer names one) has no resumable byte position: its rows are skipped.
      return skipAndTake(this.readInventory(blobName), start, maxEntries);
    }
    const stream = await this.download(this.inventories, blobName, start);
    return readNdjsonChunk(blobName, stream, start, maxEntries);
  }

  /** @throws RangeError for an unsafe `requestId` or a `batchNumber` that is not a non-negative integer. */
  async writeBatchManifest(
    requestId: string,
    batchNumber: number,
    mailboxes: MailboxEntry[],
  ): Promise<{ ndjsonBlob: string; csvBlob: string }> {
    const base = manifestBase(requestId, batchNumber);
    const ndjsonBlob = `${base}.ndjson`;
    const csvBlob = `${base}.csv`;
    const ndjson = Buffer.from(toNdjson(mailboxes), 'utf8');
    const csv = Buffer.from(formatExchangeMigrationCsv(mailboxes), 'utf8');
    const metadata = { requestid: requestId, batch: String(batchNumber), rowcount: String(mailboxes.length) };
    await Promise.all([
      this.manifests
        .getBlockBlobClient(ndjsonBlob)
        .uploadData(ndjson, { blobHTTPHeaders: NDJSON_HEADERS, metadata }),
      this.manifests.getBlockBlobClient(csvBlob).uploadData(csv, { blobHTTPHeaders: CSV_HEADERS, metadata }),
    ]).catch((err: unknown) => translateStorageError(err, `manifest ${base}`));
    return { ndjsonBlob, csvBlob };
  }

  /** @throws RangeError for bad arguments; TriageError `not-found` when the manifest does not exist. */
  async readBatchManifest(requestId: string, batchNumber: number): Promise<MailboxEntry[]> {
    const blobName = `${manifestBase(requestId, batchNumber)}.ndjson`;
    const entries: MailboxEntry[] = [];
    for await (const entry of readNdjson(blobName, await this.download(this.manifests, blobName))) {
      entries.push(entry);
    }
    return entries;
  }

  async writeDuplicates(
    requestId: string,
    fromBatch: number,
    skipped: readonly SkippedMailbox[],
  ): Promise<string> {
    const blobName = duplicatesBlob(requestId, fromBatch);
    const body = Buffer.from(skipped.map((s) => `${JSON.stringify(s)}\n`).join(''), 'utf8');
    await this.manifests
      .getBlockBlobClient(blobName)
      .uploadData(body, { blobHTTPHeaders: NDJSON_HEADERS, metadata: { requestid: requestId } })
      .catch((err: unknown) => translateStorageError(err, `duplicates ${blobName}`));
    return blobName;
  }

  async *readDuplicates(requestId: string): AsyncIterable<SkippedMailbox> {
    requireSegment('requestId', requestId);
    const names: string[] = [];
    try {
      for await (const blob of this.manifests.listBlobsFlat({ prefix: `${requestId}/duplicates-` })) {
        names.push(blob.name);
      }
    } catch (err: unknown) {
      translateStorageError(err, `duplicates of ${requestId}`);
    }
    // Fixed-width chunk numbers: name order is planning order.
    for (const name of names.sort()) {
      const lines = createInterface({
        input: await this.download(this.manifests, name),
        crlfDelay: Infinity,
      });
      for await (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as SkippedMailbox;
    }
  }

  /** The reports container, for the adapters that write reports. */
  get reportsContainer(): ContainerClient {
    return this.reports;
  }

  /** @throws RangeError for an unsafe `requestId`. */
  async writeReport(requestId: string, lines: AsyncIterable<string>): Promise<string> {
    requireSegment('requestId', requestId);
    const blobName = reportBlobName(requestId);
    const stager = new BlockStager(this.reports.getBlockBlobClient(blobName), CSV_HEADERS);
    try {
      for await (const text of lines) await stager.append(text);
      await stager.commit({ requestid: requestId });
    } catch (err: unknown) {
      return translateStorageError(err, `report ${blobName}`);
    }
    return blobName;
  }

  async readReport(requestId: string): Promise<AsyncIterable<Uint8Array> | null> {
    if (!SAFE_SEGMENT.test(requestId)) return null;
    try {
      return (await this.download(this.reports, reportBlobName(requestId))) as AsyncIterable<Uint8Array>;
    } catch (err: unknown) {
      if (isTriageError(err, 'not-found')) return null;
      throw err;
    }
  }

  private async download(
    container: ContainerClient,
    blobName: string,
    offset = 0,
  ): Promise<NodeJS.ReadableStream> {
    try {
      const response = await container.getBlockBlobClient(blobName).download(offset);
      if (!response.readableStreamBody) throw new Error(`download of ${blobName} returned no body`);
      return response.readableStreamBody;
    } catch (err: unknown) {
      if (statusCode(err) === 404) throw artifactNotFound(blobName, err);
      return translateStorageError(err, `blob ${blobName}`);
    }
  }
}

/** Stages NDJSON as blocks of ~BLOCK_BYTES and commits them at the end; nothing is visible before commit. */
class BlockStager {
  private readonly blockIds: string[] = [];
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly blob: BlockBlobClient,
    private readonly headers = NDJSON_HEADERS,
  ) {}

  async append(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingBytes += text.length; // UTF-16 units ≈ bytes here: addresses are ASCII.
    if (this.pendingBytes >= BLOCK_BYTES) await this.flush();
  }

  async commit(metadata: Record<string, string>): Promise<void> {
    await this.flush();
    await this.blob.commitBlockList(this.blockIds, { blobHTTPHeaders: this.headers, metadata });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const body = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    // Block ids must all have the same length within a blob.
    const id = Buffer.from(`block-${String(this.blockIds.length).padStart(6, '0')}`).toString('base64');
    await this.blob.stageBlock(id, body, body.length);
    this.blockIds.push(id);
  }
}

/** Collects problems, keeping the first MAX_REPORTED_BAD_ROWS met (in line order) and counting bad rows. */
class ProblemList {
  private readonly kept: InventoryRowProblem[] = [];
  /** Problems in all. */
  count = 0;
  /** Rows with at least one problem. */
  rows = 0;

  /** One problem of its own row (a header, a broken record). */
  add(problem: InventoryRowProblem): void {
    this.addRow([problem]);
  }

  /** The problems of one row. */
  addRow(problems: readonly InventoryRowProblem[]): void {
    if (problems.length === 0) return;
    this.rows++;
    for (const problem of problems) {
      this.count++;
      if (this.kept.length < MAX_REPORTED_BAD_ROWS) this.kept.push(problem);
    }
  }

  report(): { badRows: InventoryRowProblem[]; badRowCount?: number; problemCount?: number } {
    // The tokeniser reports broken records as it meets them, ahead of rows still queued for validation.
    this.kept.sort((a, b) => a.line - b.line);
    return this.count > this.kept.length
      ? { badRows: this.kept, badRowCount: this.rows, problemCount: this.count }
      : { badRows: this.kept };
  }
}

/** Feeds CSV bytes through csv-parse; broken records (bad quotes, oversized) are reported and skipped. */
async function parseCsv(
  source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  onRecord: (record: string[], info: Info) => Promise<void>,
  onBrokenRecord: (err: CsvError) => void,
): Promise<void> {
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
    on_skip: (err) => {
      if (err) onBrokenRecord(err);
    },
  });
  await pipeline(source, parser, async (records: AsyncIterable<{ record: string[]; info: Info }>) => {
    for await (const { record, info } of records) await onRecord(record, info);
  });
}

/** Yields the chunks until their total passes `maxBytes`, then throws without reading further. */
async function* limitBytes(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > maxBytes) throw inventoryTooLarge(maxBytes);
    yield chunk;
  }
}

/** csv-parse reports the line where a record ends; a row's line is where it starts. */
function startLine(record: readonly string[], info: Info): number {
  let breaks = 0;
  for (const field of record) breaks += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  return info.lines - breaks;
}

function csvErrorMessage(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (the rest of the file could not be read)';
    case 'CSV_MAX_RECORD_SIZE':
      return `the row is longer than ${MAX_CSV_RECORD_BYTES} bytes`;
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote character is misplaced (quote the whole field and double inner quotes)';
    default:
      return `the row is not valid CSV (${err.code})`;
  }
}

async function* readCsvInventory(
  blobName: string,
  stream: NodeJS.ReadableStream,
): AsyncIterable<MailboxEntry> {
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  // pipe() does not forward the source's errors; a failed download must fail the parse, not hang it.
  stream.on('error', (err: Error) => parser.destroy(err));
  stream.pipe(parser);
  const validator = new InventoryValidator();
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const line = startLine(record, info);
      if (!validator.hasHeader) {
        const problem = validator.acceptHeader(record, line);
        if (problem) throw inventoryInvalid(blobName, [problem]);
        continue;
      }
      const result = validator.acceptRow(record, line);
      if (!result.ok) throw inventoryInvalid(blobName, result.problems);
      yield result.entry;
    }
  } catch (err: unknown) {
    if (isCsvError(err)) {
      throw inventoryInvalid(blobName, [{ line: csvErrorLine(err), message: csvErrorMessage(err) }]);
    }
    throw err;
  } finally {
    parser.destroy();
    destroyStream(stream);
  }
  if (!validator.hasHeader) {
    throw inventoryInvalid(blobName, [
      { line: 1, message: 'the file is empty (expected an EmailAddress header)' },
    ]);
  }
}

/** One NDJSON line of an inventory: undefined for a blank line. @throws TriageError `validation` for a bad one. */
function ndjsonEntry(blobName: string, text: string, line: number): MailboxEntry | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw inventoryInvalid(blobName, [{ line, message: 'the line is not JSON' }]);
  }
  const parsed = mailboxEntrySchema.safeParse(value);
  if (!parsed.success) {
    throw inventoryInvalid(blobName, [
      { line, message: parsed.error.issues.map((issue) => issue.message).join('; ') },
    ]);
  }
  return parsed.data;
}

async function* readNdjson(blobName: string, stream: NodeJS.ReadableStream): AsyncIterable<MailboxEntry> {
  // A hand-rolled splitter rather than readline: iterating the stream itself surfaces download errors.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) {
        const entry = ndjsonEntry(blobName, text, ++line);
        if (entry) yield entry;
      }
    }
    rest += decoder.decode();
    const entry = ndjsonEntry(blobName, rest, ++line);
    if (entry) yield entry;
  } finally {
    destroyStream(stream);
  }
}

/**
 * Reads NDJSON lines from byte `offset` until `maxEntries` entries and the start of one more are seen (or
 * the blob ends); only that much is downloaded and held. Line numbers in errors count from the offset.
 */
async function readNdjsonChunk(
  blobName: string,
  stream: NodeJS.ReadableStream,
  offset: number,
  maxEntries: number,
): Promise<{ entries: MailboxEntry[]; next?: string }> {
  const entries: MailboxEntry[] = [];
  let pending = Buffer.alloc(0);
  let consumed = offset;
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      for (let newline = pending.indexOf(10); newline >= 0; newline = pending.indexOf(10)) {
        const text = pending.subarray(0, newline).toString('utf8');
        const entry = ndjsonEntry(blobName, text, ++line);
        if (entry && entries.length === maxEntries) return { entries, next: String(consumed) };
        if (entry) entries.push(entry);
        consumed += newline + 1;
        pending = pending.subarray(newline + 1);
      }
    }
    const last = ndjsonEntry(blobName, pending.toString('utf8'), ++line);
    if (last && entries.length === maxEntries) return { entries, next: String(consumed) };
    if (last) entries.push(last);
    return { entries };
  } finally {
    destroyStream(stream);
  }
}

function csvErrorLine(err: CsvError): number {
  return typeof err.lines === 'number' ? err.lines : 0;
}

function isCsvError(err: unknown): err is CsvError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(CSV_|INVALID_)/.test(code);
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  (stream as Partial<Readable>).destroy?.();
}

function toEntry(mailbox: MailboxEntry): MailboxEntry {
  // Only the known fields are stored, whatever the caller's objects carry.
  return mailbox.sizeBytes === undefined
    ? { address: mailbox.address }
    : { address: mailbox.address, sizeBytes: mailbox.sizeBytes };
}

function toNdjson(mailboxes: readonly MailboxEntry[]): string {
  let text = '';
  for (const mailbox of mailboxes) text += `${JSON.stringify(toEntry(mailbox))}\n`;
  return text;
}

function duplicatesBlob(requestId: string, fromBatch: number): string {
  requireSegment('requestId', requestId);
  if (!Number.isSafeInteger(fromBatch) || fromBatch < 0) {
    throw new RangeError(`fromBatch must be a non-negative integer, got ${fromBatch}`);
  }
  return `${requestId}/duplicates-${String(fromBatch + 1).padStart(7, '0')}.ndjson`;
}

function manifestBase(requestId: string, batchNumber: number): string {
  requireSegment('requestId', requestId);
  if (!Number.isSafeInteger(batchNumber) || batchNumber < 0) {
    throw new RangeError(`batchNumber must be a non-negative integer, got ${batchNumber}`);
  }
  return `${requestId}/batch-${String(batchNumber).padStart(4, '0')}`;
}

function requireSegment(name: string, value: string): void {
  if (typeof value !== 'string' || !SAFE_SEGMENT.test(value)) {
    throw new RangeError(
      `${name} "${String(value)}" is not usable in a blob name (letters, digits, . _ -; ≤ 128)`,
    );
  }
}

function isInventoryName(blobName: string): boolean {
  return (
    typeof blobName === 'string' &&
    blobName.length <= 1024 &&
    INVENTORY_NAME.test(blobName) &&
    !blobName.split('/').some((segment) => segment === '.' || segment === '..')
  );
}

/** `20261122T013600123Z`: sortable, and free of the colons some tools dislike in blob names. */
function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
