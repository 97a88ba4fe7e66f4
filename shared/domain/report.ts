/**
 * The per-request report an operator downloads when a request finishes: the Exchange-style `EmailAddress`
 * column, then each item's status, reason, attempts and batch (a provisioning: one row for its resource).
 * Every cell is neutralised against formula injection: a spreadsheet runs a cell that starts with `=`,
 * `+`, `-` or `@` (or a tab or carriage return that hides one), so such a cell gets a leading `'`.
 */
import { csvField } from './inventory';
import type { ItemView } from './item-listing';
import type { RequestRecord } from './records';

/** The report's blob name in the `reports` container. */
export const reportBlobName = (requestId: string): string => `${requestId}.csv`;

const formulaStart = /^[=+\-@\t\r]/;

/** A cell a spreadsheet shows as text, never evaluates, then quoted as RFC 4180 needs. */
export function reportCell(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return csvField(formulaStart.test(text) ? `'${text}` : text);
}

const line = (cells: ReadonlyArray<string | number | undefined>): string =>
  `${cells.map(reportCell).join(',')}\r\n`;

export const migrationReportHeader = line(['EmailAddress', 'Status', 'Reason', 'Attempts', 'Batch', 'At']);

/** The report's lines for a batch's items, in manifest order. */
export function migrationReportLines(items: readonly ItemView[]): string {
  return items.map((i) => line([i.address, i.status, i.reason, i.attempts, i.batch, i.at])).join('');
}

/** A provisioning's whole report: its resource, the request's final status and reason. */
export function provisionReport(request: RequestRecord): string {
  return (
    line(['Resource', 'Region', 'Quantity', 'Status', 'Reason', 'At']) +
    line([
      request.resource?.type,
      request.resource?.region,
      request.resource?.quantity,
      request.status,
      request.reason,
      request.updatedAt,
    ])
  );
}
