import { decideCancel } from '../../../domain/request-lifecycle';
import { parseOrThrow, requestIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { mutateExistingRequest } from '../../effects/mutate-request';
import { decideAndApply } from '../../effects/pool-requests';
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
  // A claim that has not started leaves the line (or gives its capacity back); a started one is released
  // explicitly, once what it provisioned is given back.
  if (saved.poolId) {
    const claim = await ctx.ports.pools.getClaim(saved.poolId, requestId);
    if (claim && claim.state !== 'started') await decideAndApply(ctx, saved.poolId, { remove: requestId });
  }
  return toRequestView(ctx, saved, { detail: true });
}
