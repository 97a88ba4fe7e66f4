import { capacityView, tierTable } from '../../../domain/scheduling/capacity';
import { poolToBody, type PoolBody } from '../../../domain/scheduling/pool-schema';
import { applyDueSchedule, poolKey } from '../../../domain/scheduling/pool';
import type { PoolLedger } from '../../../domain/scheduling/pool-claims';
import type { CapacityView } from '../../../domain/scheduling/capacity';
import type { AppContext } from '../../context';

/** A pool as `GET /api/pools/{poolId}` shows it: its definition and what is used, available and waiting, per tier. */
export type PoolView = PoolBody &
  CapacityView & {
    poolId: string;
    key: string;
    waitingByTier: Record<string, number>;
    admittedNotStarted: number;
  };

/** From the ledger alone (one point read): the capacity in force now and the summary of the claims. */
export function toPoolView(ctx: AppContext, ledger: PoolLedger): PoolView {
  const { pool } = applyDueSchedule(ledger.pool, ctx.clock().getTime());
  const table = tierTable(ctx.tierPolicies);
  const waitingByTier: Record<string, number> = {};
  for (const name of table.names) waitingByTier[name] = ledger.summary.waitingByTier[name] ?? 0;
  return {
    poolId: pool.poolId,
    key: poolKey(pool),
    ...poolToBody(pool),
    ...capacityView(table, pool.capacity, pool.reserved, ledger.summary.usedByTier),
    waitingByTier,
    admittedNotStarted: ledger.summary.admittedNotStarted,
  };
}
