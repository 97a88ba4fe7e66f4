import { TriageError } from '../../../domain/errors';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { recordEvent } from '../../effects/history';
import { decideAndApply } from '../../effects/pool-requests';
import { toRequestView, type RequestView } from '../../views/request-view';
import { visibleRequest } from '../../views/visible-request';

/**
 * POST /api/requests/{id}/release — the provisioned resource was given back: its quantity returns to the
 * pool and the waiting line is re-dispatched. Audited.
 * @throws TriageError `not-found` (also for a request the caller may not act on); `invalid-transition`
 *   (409) when it holds nothing, or still runs.
 */
export async function releaseRequest(ctx: AppContext, caller: Principal, id: unknown): Promise<RequestView> {
  const request = await visibleRequest(ctx, caller, 'requests:release', id);
  const requestId = request.id;
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
  await recordAudit(ctx, caller, 'requests:release', {
    orgId: request.orgId,
    target: requestId,
    detail: `${claim.quantity} returned to pool ${request.poolId}`,
  });
  return toRequestView(ctx, request, { detail: true });
}
