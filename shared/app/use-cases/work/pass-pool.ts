import type { RequestRecord } from '../../../domain/records';
import { decideDeferred } from '../../../domain/request-lifecycle';
import type { AppContext } from '../../context';
import { mutateRequest } from '../../effects/mutate-request';
import { arriveAtPool, startAdmitted } from '../../effects/pool-ledger';
import { applyToRequests, claimOf, refreshQuietly } from '../../effects/pool-requests';

/**
 * Admission for a provisioning whose resource has a declared pool: `run` when its capacity is held (it has
 * started and is never pushed back from here on), `deferred` when it waits in the pool's line — the
 * request is then `deferred` and the message completes; capacity freeing up re-publishes it.
 */
export async function passPool(
  ctx: AppContext,
  poolId: string,
  request: RequestRecord,
): Promise<'run' | 'deferred'> {
  let claim = await ctx.ports.pools.getClaim(poolId, request.id);
  if (claim?.state === 'admitted') claim = await startAdmitted(ctx, poolId, request.id);
  if (!claim) {
    const decision = await arriveAtPool(ctx, poolId, claimOf(request));
    await applyToRequests(ctx, poolId, decision);
    claim = decision.own ?? null;
  }
  if (claim?.state === 'started') return 'run';
  await mutateRequest(ctx, request.id, (c) => decideDeferred(c, poolId), {
    event: `waiting for capacity in pool ${poolId}`,
    // The requester is told with its position and ETA once the forecast has them.
    silent: true,
  });
  await refreshQuietly(ctx, poolId);
  return 'deferred';
}
