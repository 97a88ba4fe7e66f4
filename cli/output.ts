/**
 * What the CLI prints: human tables (cli-table3) by default, JSON with `--json`; problems on stderr as
 * their message and each field with its own.
 */
import Table from 'cli-table3';
import { ApiError } from './client';

export type Cell = string | number | boolean | null | undefined;

/** A plain table (no colour codes: output stays readable when piped or logged). */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) t.push(row.map((c) => (c === undefined || c === null ? '' : String(c))));
  return t.toString();
}

/** Field/value pairs, the absent ones left out. */
export function details(pairs: Array<[string, Cell]>): string {
  const t = new Table({ style: { head: [], border: [], compact: true } });
  for (const [name, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    t.push({ [name]: String(value) });
  }
  return t.toString();
}

/** A problem as an operator reads it: what failed, then the fields. */
export function renderProblem(err: ApiError): string {
  const head = err.status === 0 ? `error: ${err.message}` : `error (HTTP ${err.status}): ${err.message}`;
  if (err.problems.length === 0) return head;
  return `${head}\n${table(
    ['field', 'message'],
    err.problems.map((p) => [p.field, p.message]),
  )}`;
}

/** Local time of an ISO instant, short; a plain date (a plan's local day) is shown as it is. */
export function when(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const ms = Date.parse(iso);
  return Number.isNaN(ms)
    ? iso
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}
