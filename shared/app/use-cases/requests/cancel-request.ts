import { decideCancel } from '../../../domain/request-lifecycle';
import { parseOrThrow, requestIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { mutateExistingRequest } from '../../effects/mutate-request';
import { toRequestView, type RequestView } from '../../views/request-view';

/**
 * POST /api/requests/{id}/cancel — stops what has not started; what ran stays recorded.
 * @throws TriageError `not-found`, or `invalid-transition` when the request already finished.
 */
export async function cancelRequest(ctx: AppContext, id: unknown): Promise<RequestView> {
  const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
  const saved = await mutateExistingRequest(ctx, requestId, decideCancel, {
    event: 'cancelled by an operator',
  });
  return toRequestView(ctx, saved, { detail: true });
}
