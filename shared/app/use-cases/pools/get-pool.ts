import { TriageError } from '../../../domain/errors';
import { parseOrThrow } from '../../../domain/requests';
import { poolIdSchema } from '../../../domain/scheduling/pool-schema';
import type { AppContext } from '../../context';
import { toPoolView, type PoolView } from './pool-view';

/** GET /api/pools/{poolId}. @throws TriageError `validation` for a malformed id; `not-found`. */
export async function getPool(ctx: AppContext, poolId: unknown): Promise<PoolView> {
  const id = parseOrThrow(poolIdSchema, poolId, 'pool id', 'poolId');
  const ledger = await ctx.ports.pools.getLedger(id);
  if (!ledger) throw new TriageError('not-found', `no pool "${id}"`);
  return toPoolView(ctx, ledger);
}
