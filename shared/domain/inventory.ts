/**
 * Mailbox inventories: validation of one mailbox, of an Exchange Online migration CSV (header and rows,
 * duplicates included) and the Exchange-style CSV written for each batch manifest. Pure: the CSV bytes
 * are tokenised by the adapter (csv-parse); this module sees header fields and records.
 *
 * Accepted CSV (the file `New-MigrationBatch -CSVData` takes, as is):
 * - `EmailAddress` (required, case-insensitive, surrounding spaces and a UTF-8 BOM ignored);
 * - an optional size column, the first present of `SizeBytes`, `MailboxSizeBytes`, `TotalItemSize`,
 *   holding a plain byte count (`1048576`) or Exchange's `TotalItemSize` text (`1.5 GB (1,610,612,736 bytes)`,
 *   the parenthesised byte count is used); an empty cell means unknown size;
 * - every other column (`Password`, `ForceChangePassword`, `UserName`, …) is ignored and never stored.
 */
import { z } from 'zod';
import { boundedArray } from './bounded-validation';
import { CompactKeySet } from './compact-key-set';

/** One mailbox to migrate. */
export interface MailboxEntry {
  address: string;
  sizeBytes?: number;
}

/** A rejected inventory row; `line` is the 1-based line number in the source file. */
export interface InventoryRowProblem {
  line: number;
  field?: string;
  message: string;
}

/** Longest address (RFC 5321 path limit of 256 minus the angle brackets). */
export const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const FORMULA_START = /^[=+\-@]/;
// RFC 5321 subset: dot-atom local part (no quoted strings), a domain of LDH labels with a TLD that is not
// all digits (no IP literals). This is what Exchange Online accepts as a primary SMTP address in practice.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ADDRESS = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*@(?:${LABEL}\\.)+(?=[A-Za-z0-9-]*[A-Za-z])${LABEL}$`);

/** Why an address is not acceptable, or undefined when it is. */
export function addressProblem(address: string): string | undefined {
  if (address.length === 0) return 'is empty';
  if (CONTROL_CHARACTER.test(address)) return 'contains a control character';
  if (address.length > MAX_ADDRESS_LENGTH) return `is longer than ${MAX_ADDRESS_LENGTH} characters`;
  const at = address.lastIndexOf('@');
  if (at > MAX_LOCAL_PART_LENGTH) return `has a local part longer than ${MAX_LOCAL_PART_LENGTH} characters`;
  if (!ADDRESS.test(address)) return 'is not a valid email address';
  // Legal in SMTP, but a spreadsheet opening a manifest would run it as a formula (CSV injection).
  if (FORMULA_START.test(address)) return 'starts with a spreadsheet formula character (=, +, -, @)';
  return undefined;
}

/** A mailbox as the API and the inventories accept it. The address is not rewritten (no trimming, no case change). */
export const mailboxEntrySchema = z.strictObject({
  address: z.string().superRefine((address, ctx) => {
    const problem = addressProblem(address);
    if (problem) ctx.addIssue({ code: 'custom', message: `address ${problem}` });
  }),
  sizeBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** The key under which two addresses count as the same mailbox: SMTP addresses are case-insensitive in Exchange. */
export function mailboxKey(address: string): string {
  return address.toLowerCase();
}

/** The first occurrence of each mailbox key, and every later one reported at its own index. */
export function* duplicateMailboxes(
  mailboxes: readonly MailboxEntry[],
): Iterable<[index: number, field: string, message: string]> {
  const seen = new Map<string, number>();
  for (const [index, mailbox] of mailboxes.entries()) {
    const key = mailboxKey(mailbox.address);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else yield [index, 'address', `duplicate address (first at index ${first})`];
  }
}

/**
 * A list of at most `max` mailboxes with no duplicate address (compared case-insensitively); the length is
 * checked before any element, at most 100 problems are listed, and a duplicate is reported at its own index
 * (`[i, 'address']`) naming the first occurrence.
 */
export function mailboxListSchema(bounds: { min?: number; max: number }) {
  return boundedArray(mailboxEntrySchema, { ...bounds, across: duplicateMailboxes });
}

/** The column names recognised, in lower case, by role. */
export const inventoryColumnNames = {
  address: ['emailaddress'],
  size: ['sizebytes', 'mailboxsizebytes', 'totalitemsize'],
} as const;

/** Where the recognised columns are in a CSV header. */
export interface InventoryColumns {
  addressIndex: number;
  sizeIndex?: number;
  /** The size column's name as written in the header. */
  sizeColumn?: string;
}

function normaliseHeaderField(field: string): string {
  return field
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase();
}

/**
 * Finds the address and size columns in a header row.
 * @returns the columns, or a problem on line `line` when `EmailAddress` is missing or repeated.
 */
export function detectInventoryColumns(
  header: readonly string[],
  line = 1,
): { ok: true; columns: InventoryColumns } | { ok: false; problem: InventoryRowProblem } {
  const names = header.map(normaliseHeaderField);
  const addressIndexes = names.flatMap((name, i) =>
    (inventoryColumnNames.address as readonly string[]).includes(name) ? [i] : [],
  );
  if (addressIndexes.length !== 1) {
    return {
      ok: false,
      problem: {
        line,
        field: 'EmailAddress',
        message:
          addressIndexes.length === 0
            ? 'the header has no EmailAddress column (expected the Exchange Online migration CSV format)'
            : 'the header has more than one EmailAddress column',
      },
    };
  }
  const columns: InventoryColumns = { addressIndex: addressIndexes[0] as number };
  for (const sizeName of inventoryColumnNames.size) {
    const index = names.indexOf(sizeName);
    if (index >= 0) {
      columns.sizeIndex = index;
      columns.sizeColumn = (header[index] as string).replace(/^\uFEFF/, '').trim();
      break;
    }
  }
  return { ok: true, columns };
}

/** Parses a size cell: a plain byte count, or Exchange's `1.5 GB (1,610,612,736 bytes)`. */
function parseSize(text: string): number | undefined | Error {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const digits = /^\d+$/.test(trimmed)
    ? trimmed
    : /\(([\d,]+) bytes\)\s*$/i.exec(trimmed)?.[1]?.replace(/,/g, '');
  if (digits === undefined)
    return new Error('is not a byte count (e.g. 1048576 or "1 MB (1,048,576 bytes)")');
  const value = Number(digits);
  if (!Number.isSafeInteger(value)) return new Error('is too large');
  return value;
}

/** The outcome of validating one row. */
export type InventoryRowResult =
  { ok: true; entry: MailboxEntry } | { ok: false; problems: InventoryRowProblem[] };

/**
 * Validates one CSV record keyed by its header names (as `csv-parse` gives with `columns: true`); keys
 * are matched case-insensitively, unknown keys are ignored. Does not detect duplicates (see
 * {@link InventoryValidator}).
 */
export function validateInventoryRow(
  record: Readonly<Record<string, unknown>>,
  line: number,
): InventoryRowResult {
  const keys = Object.keys(record);
  const detected = detectInventoryColumns(keys, line);
  if (!detected.ok) return { ok: false, problems: [detected.problem] };
  const fields = keys.map((key) => record[key]);
  return validateRowFields(fields, detected.columns, line);
}

function validateRowFields(
  fields: readonly unknown[],
  columns: InventoryColumns,
  line: number,
): InventoryRowResult {
  const problems: InventoryRowProblem[] = [];
  const rawAddress = fields[columns.addressIndex];
  // Spreadsheets pad cells; the padding is not part of the address.
  const address = typeof rawAddress === 'string' ? rawAddress.trim() : '';
  const addressIssue = addressProblem(address);
  if (addressIssue) {
    problems.push({ line, field: 'EmailAddress', message: `EmailAddress ${addressIssue}` });
  }
  let sizeBytes: number | undefined;
  if (columns.sizeIndex !== undefined) {
    const rawSize = fields[columns.sizeIndex];
    const size = typeof rawSize === 'string' ? parseSize(rawSize) : undefined;
    if (size instanceof Error) {
      const column = columns.sizeColumn ?? 'SizeBytes';
      problems.push({ line, field: column, message: `${column} ${size.message}` });
    } else sizeBytes = size;
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, entry: sizeBytes === undefined ? { address } : { address, sizeBytes } };
}

/**
 * Validates a CSV inventory record by record, header first, and detects duplicate addresses (the
 * second and later occurrences are bad rows). Blank records are skipped by the tokeniser, not here.
 */
export class InventoryValidator {
  private columns: InventoryColumns | undefined;
  // ~12 bytes a row, not a copy of every address: the check stays small for a 2.1-million-row file.
  private readonly firstLineByKey = new CompactKeySet();
  private rows = 0;

  /** True once a valid header has been accepted. */
  get hasHeader(): boolean {
    return this.columns !== undefined;
  }

  /** Data rows seen so far (valid or not). */
  get rowCount(): number {
    return this.rows;
  }

  /** Accepts the header row; returns a problem when it is unusable. */
  acceptHeader(fields: readonly string[], line: number): InventoryRowProblem | undefined {
    const detected = detectInventoryColumns(fields, line);
    if (!detected.ok) return detected.problem;
    this.columns = detected.columns;
    return undefined;
  }

  /**
   * Validates one data row.
   * @throws Error when called before a valid header (a programming mistake in the caller).
   */
  acceptRow(fields: readonly string[], line: number): InventoryRowResult {
    if (!this.columns) throw new Error('InventoryValidator.acceptRow called before a valid header');
    this.rows++;
    const result = validateRowFields(fields, this.columns, line);
    if (!result.ok) return result;
    const key = mailboxKey(result.entry.address);
    const first = this.firstLineByKey.addIfAbsent(key, line);
    if (first !== undefined) {
      return {
        ok: false,
        problems: [{ line, field: 'EmailAddress', message: `duplicate address (first on line ${first})` }],
      };
    }
    return result;
  }
}

/** Quotes a CSV field when it needs it (RFC 4180: comma, quote, CR/LF; also leading/trailing spaces). */
export function csvField(value: string): string {
  // Defence in depth: validation refuses such values, but one read from an older inventory is neutralised
  // (OWASP: a leading apostrophe, quoted) rather than handed to a spreadsheet as a formula.
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The Exchange Online migration CSV for a batch: header `EmailAddress`, one row per mailbox, CRLF line
 * ends (RFC 4180), fields quoted when needed. Sizes are not written: `New-MigrationBatch` does not take them.
 */
export function formatExchangeMigrationCsv(mailboxes: readonly MailboxEntry[]): string {
  let csv = 'EmailAddress\r\n';
  for (const mailbox of mailboxes) csv += `${csvField(mailbox.address)}\r\n`;
  return csv;
}

/**
 * A chunk of an inventory read from its start: skips `start` entries, takes `max`, and says where the next
 * chunk starts (absent at the end). For sources with no resumable position (a CSV), and the test fakes.
 */
export async function skipAndTake(
  entries: AsyncIterable<MailboxEntry>,
  start: number,
  max: number,
): Promise<{ entries: MailboxEntry[]; next?: string }> {
  const taken: MailboxEntry[] = [];
  let index = 0;
  for await (const entry of entries) {
    if (index++ < start) continue;
    if (taken.length === max) return { entries: taken, next: String(start + taken.length) };
    taken.push(entry);
  }
  return { entries: taken };
}
