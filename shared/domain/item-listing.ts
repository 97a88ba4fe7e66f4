/**
 * What `GET /api/requests/{id}/items` shows of a migration's items: a batch's manifest entries merged with
 * the item rows stored for it (only final outcomes and re-queued failures are stored; a missing row is
 * pending), and which batches can hold items of the status asked for, so a listing skips the others.
 */
import { z } from 'zod';
import type { MailboxEntry } from './inventory';
import { operationView } from './long-running';
import { continuationTokenSchema, pageLimitSchema } from './queries';
import type { BatchRecord, ItemRecord } from './records';

export const itemListingStatuses = ['failed', 'succeeded', 'pending', 'in-progress'] as const;
export type ItemListingStatus = (typeof itemListingStatuses)[number];

/** `GET /api/requests/{id}/items` query parameters; without `status`, every item. */
export const itemListingQuerySchema = z.strictObject({
  status: z.enum(itemListingStatuses).optional(),
  limit: pageLimitSchema.optional(),
  continuationToken: continuationTokenSchema.optional(),
});

/**
 * One item as the API shows it. `pending` covers never-run items and failures an operator re-queued;
 * `in-progress` a long-running operation at the back-end, with when it started, when it is polled next and
 * its deadline (not its status URL: that is the back-end's business).
 */
export interface ItemView {
  batch: number;
  index: number;
  address: string;
  status: ItemListingStatus;
  attempts: number;
  reason?: string;
  at?: string;
  operation?: { startedAt: string; nextPollAt: string; deadlineAt: string; polls: number };
}

/** Where a listing resumes: the batch, and the first item index in it not listed yet. */
export interface ItemCursor {
  batch: number;
  index: number;
}

/**
 * Whether a batch can hold items of `status` (undefined: any). A completed batch's counters are exact, so
 * it is skipped when they say none; a batch still open may hold anything.
 */
export function batchMayHold(batch: BatchRecord, status: ItemListingStatus | undefined): boolean {
  if (batch.status !== 'completed') return true;
  if (status === 'failed') return batch.failed > 0;
  if (status === 'succeeded') return batch.succeeded > 0;
  if (status === 'pending') return batch.succeeded + batch.failed < batch.total;
  if (status === 'in-progress') return false;
  return batch.total > 0;
}

/** Whether showing `status` needs the batch's manifest (the entries that have no row yet). */
export function needsManifest(status: ItemListingStatus | undefined): boolean {
  return status === undefined || status === 'pending';
}

/** A stored row as listed: a re-queued failure (`retry`) is pending again, with its attempts so far. */
function rowView(batch: number, row: ItemRecord): ItemView {
  return {
    batch,
    index: row.index,
    address: row.address,
    status: row.status === 'retry' ? 'pending' : row.status,
    attempts: row.attempts,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.status === 'retry' ? {} : { at: row.at }),
    ...(row.status === 'in-progress' && row.operation ? { operation: operationView(row.operation) } : {}),
  };
}

/**
 * The items of one batch with `status` (undefined: all), from index `fromIndex` on, in manifest order.
 * Without the manifest (`null`) only stored rows are known, which is enough for `failed` and `succeeded`.
 */
export function batchItems(
  batch: number,
  manifest: readonly MailboxEntry[] | null,
  rows: readonly ItemRecord[],
  status: ItemListingStatus | undefined,
  fromIndex: number,
): ItemView[] {
  const byIndex = new Map(rows.map((r) => [r.index, r]));
  const views: ItemView[] = [];
  if (manifest === null) {
    for (const row of [...rows].sort((a, b) => a.index - b.index)) {
      if (row.index < fromIndex) continue;
      const view = rowView(batch, row);
      if (status === undefined || view.status === status) views.push(view);
    }
    return views;
  }
  for (let index = fromIndex; index < manifest.length; index++) {
    const row = byIndex.get(index);
    const view: ItemView = row
      ? rowView(batch, row)
      : { batch, index, address: manifest[index]!.address, status: 'pending', attempts: 0 };
    if (status === undefined || view.status === status) views.push(view);
  }
  return views;
}
