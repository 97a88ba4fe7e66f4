import { ensureError } from '../../domain/errors';
import type { AppContext } from '../context';
import { mutateRequest } from './mutate-request';
import { decideAndApply } from './pool-requests';
import { markPlanStale } from './programme-plan';

/**
 * An organisation's tier changed: in every pool (and in the programme), its claims that have not started move to their new place
 * in the line (and their requests carry the new tier, so the right tier's Function runs them), and the
 * line is re-dispatched. Started work keeps the capacity it holds.
 */
export async function retierClaims(ctx: AppContext, orgId: string, tier: string): Promise<number> {
  let moved = 0;
  for (const ledger of await ctx.ports.pools.listLedgers()) {
    const poolId = ledger.pool.poolId;
    try {
      const mine = (await ctx.ports.pools.listClaims(poolId)).filter(
        (c) => c.orgId === orgId && c.state !== 'started' && c.tier !== tier,
      );
      if (mine.length === 0) continue;
      for (const claim of mine) {
        await mutateRequest(ctx, claim.requestId, (c) => (c.tier === tier ? null : { ...c, tier }), {});
      }
      await decideAndApply(ctx, poolId, { retier: { orgId, tier } });
      moved += mine.length;
    } catch (err: unknown) {
      ctx.log('error', `pool ${poolId}: ${orgId}'s claims not re-ranked: ${ensureError(err).message}`);
    }
  }
  // The programme's claims too: its migrations take their new place in the plan.
  const planned = (await ctx.ports.programme.listOrgClaims(orgId)).filter((c) => c.tier !== tier);
  if (planned.length > 0) {
    for (const claim of planned) {
      await mutateRequest(ctx, claim.requestId, (c) => (c.tier === tier ? null : { ...c, tier }), {});
    }
    await ctx.ports.programme.updateClaims(planned.map((c) => ({ ...c, tier })));
    await markPlanStale(ctx);
    moved += planned.length;
  }
  return moved;
}
