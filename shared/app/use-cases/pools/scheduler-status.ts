import { schedulerStatus, type TierStatus } from '../../../domain/scheduler-status';
import type { DrainReport } from '../../../domain/holds';
import type { AppContext } from '../../context';
import { drainReports } from '../../effects/holds';
import { getPoolQueue, type QueueItem } from './get-pool-queue';
import { toPoolView, type PoolView } from './pool-view';

/** How many of each pool's waiting line the status shows. */
const headLength = 5;

export interface SchedulerStatusView {
  at: string;
  tiers: TierStatus[];
  pools: Array<PoolView & { head: QueueItem[] }>;
  /** Whether a migration calendar is set (then GET /api/plan has the programme's burn-down). */
  calendar: boolean;
  /** Every hold: who placed it, why, since when, and what of it still runs. */
  holds: DrainReport[];
}

/**
 * GET /api/status/data (the status page) and the metrics timer: per tier what waits, runs, is done or
 * failed, the oldest wait, the next ETAs and the ETA slip; per pool its capacity, use and reservations per
 * tier and the head of its line with reasons. The totals come from the time index (no scan of every
 * request); each pool costs its ledger and one claims partition read.
 */
export async function getSchedulerStatus(ctx: AppContext): Promise<SchedulerStatusView> {
  const [totals, ledgers, programme, holds] = await Promise.all([
    ctx.ports.requests.totals(),
    ctx.ports.pools.listLedgers(),
    ctx.ports.programme.getState(),
    drainReports(ctx),
  ]);
  const pools = await Promise.all(
    ledgers.map(async (ledger) => {
      const poolId = ledger.pool.poolId;
      const [claims, line] = await Promise.all([
        ctx.ports.pools.listClaims(poolId),
        getPoolQueue(ctx, poolId, { limit: String(headLength) }),
      ]);
      return {
        view: { ...toPoolView(ctx, ledger), head: line.items },
        claims: claims.map((c) => ({ ...c, poolId })),
      };
    }),
  );
  const nowMs = ctx.clock().getTime();
  return {
    at: new Date(nowMs).toISOString(),
    tiers: schedulerStatus(
      ctx.tiers.names,
      totals,
      pools.flatMap((p) => p.claims),
      nowMs,
    ),
    pools: pools.map((p) => p.view),
    calendar: programme !== null,
    holds,
  };
}
