import { TriageError } from '../../../domain/errors';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { visibleRequest } from '../../views/visible-request';

/**
 * GET /api/requests/{id}/report — the CSV written when the request finished, as a byte stream, for a
 * caller who may see the request.
 * @throws TriageError `validation` for a malformed id; `not-found` when there is no such request (or it is
 *   not the caller's to see), or no report yet (it is written once the request is final).
 */
export async function readReport(
  ctx: AppContext,
  caller: Principal,
  id: unknown,
): Promise<AsyncIterable<Uint8Array>> {
  const request = await visibleRequest(ctx, caller, 'requests:read', id);
  const report = await ctx.ports.artifacts.readReport(request.id);
  if (report) return report;
  throw new TriageError(
    'not-found',
    `request "${request.id}" has no report yet: it is written once the request is final (now ${request.status})`,
  );
}
