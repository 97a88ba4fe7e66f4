/**
 * No mailbox migrated twice at once: each mailbox of an organisation is claimed by the one request that
 * migrates it. A second request naming a mailbox whose claim is held by a request still in flight skips it
 * and reports it; a claim held by a finished (or vanished) request is taken over, so nothing has to release
 * claims when a request ends (a finished request holds its claims until someone else wants them).
 */
import type { MailboxEntry } from './inventory';
import { mailboxKey } from './inventory';
import type { RequestStatus } from './status';
import { isTerminal } from './status';

/** A stored claim: the organisation's mailbox (by its key) and the request migrating it. */
export interface MailboxClaim {
  key: string;
  requestId: string;
  /** Optimistic-concurrency token of the stored claim: a take-over is conditional on it. */
  etag?: string;
}

/** A mailbox left out of a request because another request in flight migrates it. */
export interface SkippedMailbox {
  address: string;
  heldBy: string;
  heldByStatus: RequestStatus;
}

/** What the claims found for one chunk of a request's mailboxes. */
export interface ClaimDecision {
  /** Claims of finished or vanished requests the request takes over (conditional on their ETag). */
  takeOver: MailboxClaim[];
  /** Mailboxes another request in flight holds. */
  skipped: SkippedMailbox[];
}

/**
 * Decides, from the claims that already existed for some of a request's mailboxes and the status of their
 * holders (undefined: the holder's record is gone), which the request takes over and which it skips. A claim
 * the request holds itself (a redelivered chunk) is simply its own.
 */
export function decideClaims(
  requestId: string,
  entries: readonly MailboxEntry[],
  existing: readonly MailboxClaim[],
  holderStatus: ReadonlyMap<string, RequestStatus | undefined>,
): ClaimDecision {
  const addressOf = new Map(entries.map((e) => [mailboxKey(e.address), e.address]));
  const takeOver: MailboxClaim[] = [];
  const skipped: SkippedMailbox[] = [];
  for (const claim of existing) {
    if (claim.requestId === requestId) continue;
    const status = holderStatus.get(claim.requestId);
    if (status === undefined || isTerminal(status)) takeOver.push(claim);
    else {
      skipped.push({
        address: addressOf.get(claim.key) ?? claim.key,
        heldBy: claim.requestId,
        heldByStatus: status,
      });
    }
  }
  return { takeOver, skipped };
}

/** How many skipped mailboxes a request record lists by name (the full list is in its duplicates report). */
export const duplicateSampleSize = 20;

/** The duplicates a request skipped so far: a count, the first few by name, and the requests holding them. */
export interface DuplicateSummary {
  skipped: number;
  sample: SkippedMailbox[];
  /** The requests in flight that hold them (at most `duplicateSampleSize`). */
  heldBy: string[];
}

/** The summary after one more chunk's skipped mailboxes; undefined while there are none. */
export function addDuplicates(
  summary: DuplicateSummary | undefined,
  skipped: readonly SkippedMailbox[],
): DuplicateSummary | undefined {
  if (skipped.length === 0) return summary;
  const sample = [...(summary?.sample ?? []), ...skipped].slice(0, duplicateSampleSize);
  const heldBy = [...new Set([...(summary?.heldBy ?? []), ...skipped.map((s) => s.heldBy)])].slice(
    0,
    duplicateSampleSize,
  );
  return { skipped: (summary?.skipped ?? 0) + skipped.length, sample, heldBy };
}

/** The mailboxes a chunk plans: its entries without the skipped ones, in inventory order. */
export function withoutSkipped(
  entries: readonly MailboxEntry[],
  skipped: readonly SkippedMailbox[],
): MailboxEntry[] {
  if (skipped.length === 0) return [...entries];
  const left = new Set(skipped.map((s) => mailboxKey(s.address)));
  return entries.filter((e) => !left.has(mailboxKey(e.address)));
}

/** Why a programme migration is refused when some of its mailboxes are in other requests in flight. */
export function duplicateRefusal(summary: DuplicateSummary): string {
  const names = summary.sample
    .slice(0, 3)
    .map((s) => `${s.address} (in ${s.heldBy})`)
    .join(', ');
  return (
    `${summary.skipped} mailbox(es) are already in requests in flight, e.g. ${names}: a programme migration ` +
    'is planned as a whole, so submit it again without them (see its duplicates report) or once those finish'
  );
}
