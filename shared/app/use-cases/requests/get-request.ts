import { TriageError } from '../../../domain/errors';
import { parseOrThrow, requestIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { toRequestView, type RequestView } from '../../views/request-view';

/**
 * GET /api/requests/{id} — status, progress, batches and history.
 * @throws TriageError `validation` for a malformed id, `not-found` when there is no such request.
 */
export async function getRequest(ctx: AppContext, id: unknown): Promise<RequestView> {
  const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
  const record = await ctx.ports.requests.get(requestId);
  if (!record) throw new TriageError('not-found', `no request "${requestId}"`);
  return toRequestView(ctx, record, { detail: true });
}
