import { TriageError } from '../../../domain/errors';
import { parseOrThrow, requestIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordEvent } from '../../effects/history';
import { decideAndApply } from '../../effects/pool-requests';
import { toRequestView, type RequestView } from '../../views/request-view';

/**
 * POST /api/requests/{id}/release — the provisioned resource was given back: its quantity returns to the
 * pool and the waiting line is re-dispatched.
 * @throws TriageError `not-found`; `invalid-transition` (409) when it holds nothing, or still runs.
 */
export async function releaseRequest(ctx: AppContext, id: unknown): Promise<RequestView> {
  const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
  const request = await ctx.ports.requests.get(requestId);
  if (!request) throw new TriageError('not-found', `no request "${requestId}"`);
  const claim = request.poolId ? await ctx.ports.pools.getClaim(request.poolId, requestId) : null;
  if (!request.poolId || claim?.state !== 'started') {
    throw new TriageError(
      'invalid-transition',
      'nothing to release: the request holds no capacity of a pool',
    );
  }
  if (request.status === 'running') {
    throw new TriageError(
      'invalid-transition',
      'the provisioning is still running; release it once it has finished',
    );
  }
  await decideAndApply(ctx, request.poolId, { remove: requestId });
  await recordEvent(ctx, request, {
    type: 'note',
    notification: 'request.released',
    message: `${claim.quantity} returned to pool ${request.poolId}`,
  });
  return toRequestView(ctx, request, { detail: true });
}
