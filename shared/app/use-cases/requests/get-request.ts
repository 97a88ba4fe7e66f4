import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { toRequestView, type RequestView } from '../../views/request-view';
import { visibleRequest } from '../../views/visible-request';

/**
 * GET /api/requests/{id} — status, progress, batches and history, for a caller who may see the request.
 * @throws TriageError `validation` for a malformed id, `not-found` when there is no such request or it
 *   belongs to an organisation the caller does not act for.
 */
export async function getRequest(ctx: AppContext, caller: Principal, id: unknown): Promise<RequestView> {
  const record = await visibleRequest(ctx, caller, 'requests:read', id);
  return toRequestView(ctx, record, { detail: true });
}
