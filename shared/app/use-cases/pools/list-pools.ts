import type { AppContext } from '../../context';
import { toPoolView, type PoolView } from './pool-view';

/** GET /api/pools — every declared pool (a handful per deployment: one per resource type and region). */
export async function listPools(ctx: AppContext): Promise<{ items: PoolView[] }> {
  return { items: (await ctx.ports.pools.listLedgers()).map((l) => toPoolView(ctx, l)) };
}
