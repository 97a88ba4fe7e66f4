import { TriageError } from '../../domain/errors';
import { canSee, type Action } from '../../domain/identity/authorization';
import type { Principal } from '../../domain/identity/principal';
import type { RequestRecord } from '../../domain/records';
import { parseOrThrow, requestIdSchema } from '../../domain/requests';
import type { AppContext } from '../context';

/**
 * The stored request, if the caller may take `action` on it. Another organisation's request answers
 * exactly as a missing one does, so a requester cannot learn that it exists.
 * @throws TriageError `validation` for a malformed id; `not-found` when missing or not the caller's to see.
 */
export async function visibleRequest(
  ctx: AppContext,
  caller: Principal,
  action: Action,
  id: unknown,
): Promise<RequestRecord> {
  const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
  const record = await ctx.ports.requests.get(requestId);
  if (!record || !canSee(caller, action, record.orgId)) {
    throw new TriageError('not-found', `no request "${requestId}"`);
  }
  return record;
}
