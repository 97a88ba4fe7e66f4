import type { Principal } from '../../../domain/identity/principal';
import { decideCancel } from '../../../domain/request-lifecycle';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { mutateExistingRequest } from '../../effects/mutate-request';
import { decideAndApply } from '../../effects/pool-requests';
import { toRequestView, type RequestView } from '../../views/request-view';
import { visibleRequest } from '../../views/visible-request';

/**
 * POST /api/requests/{id}/cancel — stops what has not started; what ran stays recorded. Audited.
 * @throws TriageError `not-found` (also for a request the caller may not act on), or
 *   `invalid-transition` when the request already finished.
 */
export async function cancelRequest(ctx: AppContext, caller: Principal, id: unknown): Promise<RequestView> {
  const record = await visibleRequest(ctx, caller, 'requests:cancel', id);
  const saved = await mutateExistingRequest(ctx, record.id, decideCancel, {
    event: `cancelled by ${caller.name}`,
    known: record,
  });
  // A claim that has not started leaves the line (or gives its capacity back); a started one is released
  // explicitly, once what it provisioned is given back.
  if (saved.poolId) {
    const claim = await ctx.ports.pools.getClaim(saved.poolId, saved.id);
    if (claim && claim.state !== 'started') await decideAndApply(ctx, saved.poolId, { remove: saved.id });
  }
  await recordAudit(ctx, caller, 'requests:cancel', { orgId: saved.orgId, target: saved.id });
  return toRequestView(ctx, saved, { detail: true });
}
