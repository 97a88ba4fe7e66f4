import { messageIds } from '../../domain/batches';
import { ensureError } from '../../domain/errors';
import { requestMessage } from '../../domain/messages';
import { decideAdmitted, decideDeferred } from '../../domain/request-lifecycle';
import type { PoolClaimRecord } from '../../domain/scheduling/pool-claims';
import { isTerminal } from '../../domain/status';
import type { AppContext } from '../context';
import { mutateRequest } from './mutate-request';
import { refreshForecast } from './pool-forecast';
import { decideOnPool, type DecideOptions, type PoolDecision } from './pool-ledger';
import { publishWork } from './publish';

/**
 * Carries a pool decision to the requests it moved: an admitted provisioning goes `deferred → queued` and its
 * message is sent again (its tier Function starts it); a pushed-back one goes `queued → deferred`, keeping its
 * place. A claim whose request finished meanwhile (cancelled) is removed, which may admit the next.
 */
export async function applyToRequests(
  ctx: AppContext,
  poolId: string,
  decision: PoolDecision,
): Promise<void> {
  const gone: string[] = [];
  for (const claim of decision.admitted) {
    // A higher tier may have pushed it back already: then it was never admitted as far as its requester knows.
    const current = await ctx.ports.pools.getClaim(poolId, claim.requestId);
    if (current?.state !== 'admitted') continue;
    const saved = await mutateRequest(ctx, claim.requestId, decideAdmitted, {
      event: `admitted: capacity in pool ${poolId}`,
    });
    if (!saved || isTerminal(saved.status)) {
      gone.push(claim.requestId);
      continue;
    }
    if (saved.status === 'queued') {
      await publishWork(ctx, [
        { message: requestMessage(saved), messageId: messageIds.admission(saved.id, decision.version) },
      ]);
    }
  }
  for (const claim of decision.preempted) {
    await mutateRequest(ctx, claim.requestId, (c) => decideDeferred(c, poolId), {
      event: `pushed back for higher-tier work in pool ${poolId}; it keeps its place in the line`,
      notification: 'request.preempted',
    });
  }
  for (const requestId of gone) await decideAndApply(ctx, poolId, { remove: requestId });
}

/** A decision on the pool, carried to the requests, then the forecast brought up to date (best effort). */
export async function decideAndApply(
  ctx: AppContext,
  poolId: string,
  options: DecideOptions,
): Promise<PoolDecision> {
  const decision = await decideOnPool(ctx, poolId, options);
  await applyToRequests(ctx, poolId, decision);
  await refreshQuietly(ctx, poolId);
  return decision;
}

/** The forecast is informational: a failure to refresh it is logged and left to the next event or the timer. */
export async function refreshQuietly(ctx: AppContext, poolId: string): Promise<void> {
  try {
    await refreshForecast(ctx, poolId);
  } catch (err: unknown) {
    ctx.log('warn', `pool ${poolId}: forecast not refreshed: ${ensureError(err).message}`);
  }
}

/** The claim a provisioning makes on its pool: its request's intake time is its place in the line. */
export function claimOf(request: {
  id: string;
  orgId: string;
  tier: string;
  createdAt: string;
  resource?: { quantity: number };
  holdUntil?: string;
}): PoolClaimRecord {
  return {
    requestId: request.id,
    orgId: request.orgId,
    tier: request.tier,
    quantity: request.resource?.quantity ?? 1,
    arrivedAtMs: Date.parse(request.createdAt),
    ...(request.holdUntil ? { holdUntilMs: Date.parse(request.holdUntil) } : {}),
    state: 'waiting',
    notifiedDeferral: false,
    promotions: 0,
  };
}
