import type { Principal } from '../../../domain/identity/principal';
import { csvField } from '../../../domain/inventory';
import type { AppContext } from '../../context';
import { visibleRequest } from '../../views/visible-request';

/** The columns of a duplicates list: the mailbox, the request in flight migrating it, and its status then. */
export const duplicatesCsvHeader = 'EmailAddress,HeldBy,HeldByStatus';

/**
 * GET /api/requests/{id}/duplicates — the mailboxes the request left out because other requests in flight
 * migrate them, as CSV (header only when there are none), streamed chunk by chunk so its size never
 * matters. The caller must be allowed to see the request (not the holders: only their ids are shown).
 * @throws TriageError `validation` for a malformed id; `not-found` when there is no such request or it is
 *   not the caller's to see.
 */
export async function readDuplicates(
  ctx: AppContext,
  caller: Principal,
  id: unknown,
): Promise<AsyncIterable<Uint8Array>> {
  const request = await visibleRequest(ctx, caller, 'requests:read', id);
  const rows = ctx.ports.artifacts.readDuplicates(request.id);
  return (async function* () {
    yield Buffer.from(`${duplicatesCsvHeader}\r\n`, 'utf8');
    let lines: string[] = [];
    for await (const s of rows) {
      lines.push(`${csvField(s.address)},${csvField(s.heldBy)},${s.heldByStatus}\r\n`);
      if (lines.length === 1000) {
        yield Buffer.from(lines.join(''), 'utf8');
        lines = [];
      }
    }
    if (lines.length > 0) yield Buffer.from(lines.join(''), 'utf8');
  })();
}
