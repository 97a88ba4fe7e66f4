/**
 * A retry of a finished migration claims its failed mailboxes again before re-queueing them: while the
 * request was finished its claims were free for the taking (see `duplicate-work.ts`), so another request may
 * be migrating some of them now. Those stay failed and are reported as duplicates (with the holder); the
 * rest are re-queued. Pure: the claims are decided by `claimMailboxes`, this only sorts the items.
 */
import type { SkippedMailbox } from './duplicate-work';
import { mailboxKey } from './inventory';
import type { ItemRecord, RequestRecord } from './records';

/** What a retry does with one re-opened batch's failed items. */
export interface RetrySelection {
  /** The items re-queued (status `retry`, attempts kept). */
  requeue: ItemRecord[];
  /** The items that stay failed because another request in flight migrates their mailbox now. */
  keep: ItemRecord[];
  /** Of `keep`, those whose reason changes (written back; the others already say who holds them). */
  rewrite: ItemRecord[];
  /** Of `keep`, those reported as duplicates now (not already reported under the same holder). */
  reported: SkippedMailbox[];
}

const heldPrefix = 'migrated by request ';

/** The reason a failed item keeps while another request in flight migrates its mailbox. */
export function heldElsewhereReason(held: Pick<SkippedMailbox, 'heldBy' | 'heldByStatus'>): string {
  return `${heldPrefix}${held.heldBy} (${held.heldByStatus})`;
}

/** The request an earlier retry found migrating this item's mailbox (from its reason), if any. */
export function reportedHolderOf(item: Pick<ItemRecord, 'reason'>): string | undefined {
  const reason = item.reason ?? '';
  if (!reason.startsWith(heldPrefix)) return undefined;
  const rest = reason.slice(heldPrefix.length);
  const end = rest.indexOf(' (');
  return end > 0 ? rest.slice(0, end) : undefined;
}

/**
 * The items a retry finds not final in a completed batch: its failed ones, and any marked `retry` by an
 * earlier retry that stopped before re-opening the batch (they would otherwise never run again).
 */
export function retryCandidates(items: readonly ItemRecord[]): ItemRecord[] {
  return items.filter((i) => i.status === 'failed' || i.status === 'retry');
}

/**
 * Sorts a completed batch's retry candidates: each one whose mailbox another request in flight holds
 * (`heldElsewhere`, by mailbox key) stays failed with a reason naming the holder, and is reported unless an
 * earlier retry already reported it under the same holder; every other one is re-queued.
 */
export function selectRetryItems(
  items: readonly ItemRecord[],
  heldElsewhere: ReadonlyMap<string, SkippedMailbox>,
  at: string,
): RetrySelection {
  const selection: RetrySelection = { requeue: [], keep: [], rewrite: [], reported: [] };
  for (const item of retryCandidates(items)) {
    const held = heldElsewhere.get(mailboxKey(item.address));
    if (!held) {
      selection.requeue.push({ ...item, status: 'retry', at });
      continue;
    }
    const reason = heldElsewhereReason(held);
    const kept: ItemRecord = { ...item, status: 'failed', reason };
    selection.keep.push(kept);
    if (item.status !== 'failed' || item.reason !== reason) selection.rewrite.push(kept);
    if (reportedHolderOf(item) !== held.heldBy) selection.reported.push({ ...held, address: item.address });
  }
  return selection;
}

/**
 * Whether a batch is re-opened: when some of its items are re-queued, or when it has none to sort (a
 * dead-lettered batch, or failures without item rows, re-run as before). A batch whose every failed item is
 * held elsewhere stays completed.
 */
export function reopensBatch(selection: RetrySelection): boolean {
  return selection.requeue.length > 0 || selection.keep.length === 0;
}

/** Why a retry is refused when every failed item's mailbox is migrated by another request in flight. */
export function allHeldElsewhereRefusal(kept: readonly ItemRecord[]): string {
  const names = kept
    .slice(0, 3)
    .map((i) => `${i.address} (${i.reason ?? ''})`)
    .join(', ');
  return (
    `nothing to retry: each of the ${kept.length} failed mailbox(es) is migrated by another request in ` +
    `flight now, e.g. ${names}; retry once those finish`
  );
}

/**
 * Where a finished migration's retry writes the mailboxes it reports (`writeDuplicates`' index): past every
 * entry planning read (its total and what it skipped), and past every earlier report, so the list keeps the
 * order they were found in and a later retry never overwrites an earlier one.
 */
export function retryDuplicatesIndex(record: Pick<RequestRecord, 'total' | 'duplicates'>): number {
  return record.total + (record.duplicates?.skipped ?? 0);
}
