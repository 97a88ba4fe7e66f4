import type { SkippedMailbox } from '../../domain/duplicate-work';
import { isTriageError, TriageError } from '../../domain/errors';
import { mailboxKey } from '../../domain/inventory';
import { mapLimit } from '../../domain/map-limit';
import type { RequestRecord } from '../../domain/records';
import {
  heldElsewhereReason,
  retryCandidates,
  retryDuplicatesIndex,
  reopensBatch,
  selectRetryItems,
  type RetrySelection,
} from '../../domain/retry-claims';
import { keepLostItems, needsReopening } from '../../domain/retry-plan';
import type { AppContext } from '../context';
import { claimMailboxes } from './claim-mailboxes';
import { recordEvent } from './history';
import { mutateBatchAndRequest } from './mutate-batch';

/** One completed batch with failures, and what a retry does with its items. */
export interface BatchRetry {
  batchNumber: number;
  selection: RetrySelection;
  reopen: boolean;
}

/** A finished migration's retry, decided before anything but its claims changes. */
export interface MigrationRetryPlan {
  batches: BatchRetry[];
  /** Failed items that stay failed (another request in flight migrates their mailbox). */
  kept: RetrySelection['keep'];
  /** Mailboxes newly reported as duplicates (the holder named). */
  reported: SkippedMailbox[];
}

/**
 * Claims again, for a finished migration about to be retried, the mailboxes of its failed items (its own
 * claims stay its own, those of finished requests are taken over, those of requests in flight are left), and
 * sorts each completed batch's failed items into re-queued and kept (`selectRetryItems`). Writes nothing but
 * the claims; when every failed item is held elsewhere it writes nothing at all (nothing was claimable).
 * @throws TriageError `concurrency` when the claims kept changing under it (the caller may try again).
 */
export async function planMigrationRetry(
  ctx: AppContext,
  record: RequestRecord,
): Promise<MigrationRetryPlan> {
  const completed = (await ctx.ports.requests.listBatches(record.id)).filter(needsReopening);
  const itemsOf = await mapLimit(completed, 8, (b) => ctx.ports.items.list(record.id, b.batchNumber));
  const entries = itemsOf.flatMap((items) => retryCandidates(items).map((i) => ({ address: i.address })));
  const held = new Map<string, SkippedMailbox>();
  if (entries.length > 0) {
    const { skipped } = await claimMailboxes(ctx, record, entries).catch((err: unknown) => {
      if (isTriageError(err, 'execution-failed')) {
        throw new TriageError('concurrency', `retry: ${err.message}; try again`, { cause: err });
      }
      throw err;
    });
    for (const s of skipped) held.set(mailboxKey(s.address), s);
  }
  const at = ctx.now();
  const batches = completed.map((b, i) => {
    const selection = selectRetryItems(itemsOf[i] ?? [], held, at);
    return { batchNumber: b.batchNumber, selection, reopen: reopensBatch(selection) };
  });
  return {
    batches,
    kept: batches.flatMap((b) => b.selection.keep),
    reported: batches.flatMap((b) => b.selection.reported),
  };
}

/** The history says how many failed mailboxes a retry left to the requests migrating them now, and where the list is. */
export async function noteHeldElsewhere(
  ctx: AppContext,
  request: RequestRecord,
  reported: readonly SkippedMailbox[],
): Promise<void> {
  const first = reported[0];
  if (!first) return;
  await recordEvent(ctx, request, {
    type: 'note',
    message:
      `retry left ${reported.length} failed mailbox(es) failed: other requests in flight migrate them now ` +
      `(e.g. ${first.address} in ${first.heldBy}, ${first.heldByStatus}): listed at ` +
      `/api/requests/${request.id}/duplicates`,
  });
}

/**
 * After the retry re-opened its batches (the request is in flight again, so no other request may take its
 * claims over any more), checks that the re-queued mailboxes are still its own: one another request took
 * over in the moment before (the request still read as finished then) is put back to failed with the
 * reason, counted and reported, before any batch message goes out — so it never runs in both.
 * @returns the mailboxes put back (reported as duplicates).
 * @throws TriageError `concurrency` when the claims kept changing under it (the caller may try again).
 */
export async function keepClaimsLostMeanwhile(
  ctx: AppContext,
  record: RequestRecord,
  reopened: readonly BatchRetry[],
): Promise<SkippedMailbox[]> {
  const entries = reopened.flatMap((b) => b.selection.requeue.map((i) => ({ address: i.address })));
  if (entries.length === 0) return [];
  const { skipped } = await claimMailboxes(ctx, record, entries).catch((err: unknown) => {
    if (isTriageError(err, 'execution-failed')) {
      throw new TriageError('concurrency', `retry: ${err.message}; try again`, { cause: err });
    }
    throw err;
  });
  if (skipped.length === 0) return [];
  const held = new Map(skipped.map((s) => [mailboxKey(s.address), s]));
  const current = (await ctx.ports.requests.get(record.id)) ?? record;
  await ctx.ports.artifacts.writeDuplicates(record.id, retryDuplicatesIndex(current), skipped);
  let report: SkippedMailbox[] = skipped;
  for (const { batchNumber, selection } of reopened) {
    const lost = selection.requeue.flatMap((item) => {
      const holder = held.get(mailboxKey(item.address));
      return holder ? [{ ...item, status: 'failed' as const, reason: heldElsewhereReason(holder) }] : [];
    });
    if (lost.length === 0) continue;
    await ctx.ports.items.write(record.id, batchNumber, lost);
    const reported = report;
    const written = await mutateBatchAndRequest(ctx, record.id, batchNumber, (b, r) =>
      keepLostItems(b, r, lost.length, reported),
    );
    if (written) report = [];
  }
  return skipped;
}
