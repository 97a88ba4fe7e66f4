import { TriageError } from '../../../domain/errors';
import { applyDueSchedule } from '../../../domain/scheduling/pool';
import { emptySummary } from '../../../domain/scheduling/pool-claims';
import { parsePoolBody } from '../../../domain/scheduling/pool-schema';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { decideAndApply } from '../../effects/pool-requests';
import { toPoolView, type PoolView } from './pool-view';

/**
 * PUT /api/pools/{poolId} — declares a pool, or changes one: capacity (lowering it below what is used is
 * allowed: nothing running is taken back, new admissions wait), reservations, policy, known future changes.
 * A change re-dispatches the line at once. Admins only (the route's role); audited.
 * @throws TriageError `validation` naming each bad field; `conflict` when the resource type and region
 *   already have another pool, or a pool's resource would change.
 */
export async function putPool(
  ctx: AppContext,
  caller: Principal,
  poolId: unknown,
  body: unknown,
): Promise<{ pool: PoolView; created: boolean }> {
  const result = await declareOrChangePool(ctx, poolId, body);
  await recordAudit(ctx, caller, 'pools:write', {
    target: result.pool.poolId,
    detail: result.created ? 'pool created' : 'pool changed',
  });
  return result;
}

async function declareOrChangePool(
  ctx: AppContext,
  poolId: unknown,
  body: unknown,
): Promise<{ pool: PoolView; created: boolean }> {
  const definition = parsePoolBody(poolId, body, ctx.tiers.names);
  const existing = await ctx.ports.pools.getLedger(definition.poolId);
  if (!existing) {
    const { pool } = applyDueSchedule(definition, ctx.clock().getTime());
    const created = await ctx.ports.pools.create({
      pool,
      summary: emptySummary(),
      version: 0,
      forecastVersion: 0,
      forecastLeaseUntilMs: 0,
      nextPromotionAtMs: null,
    });
    return { pool: toPoolView(ctx, created), created: true };
  }
  if (existing.pool.resourceType !== definition.resourceType || existing.pool.region !== definition.region) {
    throw new TriageError(
      'conflict',
      `pool ${definition.poolId} is for ${existing.pool.resourceType}@${existing.pool.region}`,
      {
        fields: [
          {
            field: 'resourceType',
            message: "a pool's resource type and region cannot change; declare another pool",
          },
        ],
      },
    );
  }
  await decideAndApply(ctx, definition.poolId, { redefine: definition });
  const saved = await ctx.ports.pools.getLedger(definition.poolId);
  return { pool: toPoolView(ctx, saved ?? existing), created: false };
}
