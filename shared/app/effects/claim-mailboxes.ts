import {
  decideClaims,
  withoutSkipped,
  type MailboxClaim,
  type SkippedMailbox,
} from '../../domain/duplicate-work';
import { mailboxKey, type MailboxEntry } from '../../domain/inventory';
import type { RequestStatus } from '../../domain/status';
import type { AppContext } from '../context';
import { transientFailure } from './delivery';
import { mapLimit } from '../../domain/map-limit';

/** Rounds of take-over before giving up for now: each lost round means another request claimed first. */
const maxRounds = 4;

/**
 * Claims a chunk of a request's mailboxes for it: those no request holds, those a finished request held, and
 * those it holds already (a redelivered chunk); the ones another request in flight holds are skipped.
 * Idempotent. Costs one transaction per 100 mailboxes when none was claimed before.
 * @throws a transient failure when claims keep changing under it (retried with back-off).
 */
export async function claimMailboxes(
  ctx: AppContext,
  request: { id: string; orgId: string },
  entries: readonly MailboxEntry[],
): Promise<{ planned: MailboxEntry[]; skipped: SkippedMailbox[] }> {
  const statusOf = new Map<string, RequestStatus | undefined>();
  const skipped: SkippedMailbox[] = [];
  let pending = [...new Set(entries.map((e) => mailboxKey(e.address)))];
  for (let round = 0; round < maxRounds && pending.length > 0; round++) {
    const existing = await ctx.ports.mailboxClaims.claimFree(request.orgId, request.id, pending);
    await readHolders(ctx, request.id, existing, statusOf);
    const decision = decideClaims(request.id, entries, existing, statusOf);
    skipped.push(...decision.skipped);
    pending = await ctx.ports.mailboxClaims.takeOver(request.orgId, request.id, decision.takeOver);
  }
  if (pending.length > 0) {
    throw transientFailure(`claims on ${pending.length} mailbox(es) of ${request.orgId} kept changing`);
  }
  return { planned: withoutSkipped(entries, skipped), skipped };
}

/** The status of each holder not read yet (a chunk's duplicates usually come from one or two requests). */
async function readHolders(
  ctx: AppContext,
  requestId: string,
  claims: readonly MailboxClaim[],
  statusOf: Map<string, RequestStatus | undefined>,
): Promise<void> {
  const unread = [...new Set(claims.map((c) => c.requestId))].filter(
    (id) => id !== requestId && !statusOf.has(id),
  );
  // A claim row without a holder (written by hand) is nobody's.
  const records = await mapLimit(unread, 8, (id) =>
    id === '' ? Promise.resolve(null) : ctx.ports.requests.get(id),
  );
  for (const [i, id] of unread.entries()) statusOf.set(id, records[i]?.status);
}
