/**
 * Totals of requests per tier and status (and the mailboxes they carry), folded from index rows so that a
 * day's totals can be cached and summed: `GET /api/requests` and the status page show them without
 * reading every request.
 */
import { requestStatuses, type RequestStatus } from './status';

/** What one tier × status cell counts. `oldestCreatedAt`: the earliest request in the cell. */
export interface TotalsCell {
  requests: number;
  mailboxes: number;
  succeeded: number;
  failed: number;
  oldestCreatedAt?: string;
}

/** tier → status → cell; absent cells are zero. */
export type TotalsByTier = Record<string, Partial<Record<RequestStatus, TotalsCell>>>;

/** The fields of a request the totals fold. */
export interface TotalsRow {
  tier: string;
  status: RequestStatus;
  kind: 'provision' | 'migrate';
  total: number;
  succeeded: number;
  failed: number;
  createdAt: string;
}

/** Adds one request to `totals` (in place); a provisioning carries no mailboxes. */
export function addToTotals(totals: TotalsByTier, row: TotalsRow): TotalsByTier {
  const byStatus = (totals[row.tier] ??= {});
  const cell = (byStatus[row.status] ??= { requests: 0, mailboxes: 0, succeeded: 0, failed: 0 });
  cell.requests++;
  if (row.kind === 'migrate') {
    cell.mailboxes += row.total;
    cell.succeeded += row.succeeded;
    cell.failed += row.failed;
  }
  if (cell.oldestCreatedAt === undefined || row.createdAt < cell.oldestCreatedAt)
    cell.oldestCreatedAt = row.createdAt;
  return totals;
}

/** The sum of several totals (e.g. one per day), as a new object. */
export function mergeTotals(parts: readonly TotalsByTier[]): TotalsByTier {
  const out: TotalsByTier = {};
  for (const part of parts) {
    for (const [tier, byStatus] of Object.entries(part)) {
      for (const [status, cell] of Object.entries(byStatus) as Array<[RequestStatus, TotalsCell]>) {
        const into = ((out[tier] ??= {})[status] ??= { requests: 0, mailboxes: 0, succeeded: 0, failed: 0 });
        into.requests += cell.requests;
        into.mailboxes += cell.mailboxes;
        into.succeeded += cell.succeeded;
        into.failed += cell.failed;
        if (
          cell.oldestCreatedAt !== undefined &&
          (into.oldestCreatedAt === undefined || cell.oldestCreatedAt < into.oldestCreatedAt)
        )
          into.oldestCreatedAt = cell.oldestCreatedAt;
      }
    }
  }
  return out;
}

/** The API's totals: requests per status (all tiers), and per tier per status. */
export interface RequestTotalsView {
  byStatus: Record<RequestStatus, number>;
  byTier: Record<string, Record<RequestStatus, number>>;
}

/** Counts per status and per tier × status, every status present (zero when none), every known tier listed. */
export function totalsView(totals: TotalsByTier, tierNames: readonly string[]): RequestTotalsView {
  const zero = (): Record<RequestStatus, number> =>
    Object.fromEntries(requestStatuses.map((s) => [s, 0])) as Record<RequestStatus, number>;
  const byStatus = zero();
  const byTier: Record<string, Record<RequestStatus, number>> = {};
  for (const tier of new Set([...tierNames, ...Object.keys(totals)])) {
    const row = (byTier[tier] = zero());
    for (const [status, cell] of Object.entries(totals[tier] ?? {}) as Array<[RequestStatus, TotalsCell]>) {
      row[status] = cell.requests;
      byStatus[status] += cell.requests;
    }
  }
  return { byStatus, byTier };
}
