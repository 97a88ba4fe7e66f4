import { ensureError } from '../../../domain/errors';
import { holdOn } from '../../../domain/holds';
import { currentHolds } from '../../effects/holds';
import { nextScheduleAtMs } from '../../../domain/scheduling/pool';
import type { AppContext } from '../../context';
import { applyToRequests, decideAndApply, refreshQuietly } from '../../effects/pool-requests';
import type { PoolDecision } from '../../effects/pool-ledger';

/** An admitted claim that has not started after this long has lost its message (a crash in between). */
const admissionGraceInMs = 30_000;

export interface TickReport {
  pools: number;
  dispatched: string[];
  repaired: number;
}

/**
 * The pools' timer (every second): applies scheduled capacity changes as they fall due, re-dispatches when
 * bounded-wait promotion reorders a line, re-sends the message of an admitted claim that never started,
 * and refreshes a forecast a crashed worker left stale. Each pool on its own: one failing does not stop
 * the others.
 */
export async function tickPools(ctx: AppContext): Promise<TickReport> {
  const report: TickReport = { pools: 0, dispatched: [], repaired: 0 };
  const nowMs = ctx.clock().getTime();
  for (const ledger of await ctx.ports.pools.listLedgers()) {
    report.pools++;
    const poolId = ledger.pool.poolId;
    try {
      const scheduleDue = (nextScheduleAtMs(ledger.pool) ?? Infinity) <= nowMs;
      const promotionDue = (ledger.nextPromotionAtMs ?? Infinity) <= nowMs;
      if (scheduleDue || promotionDue) {
        await decideAndApply(ctx, poolId, {});
        report.dispatched.push(poolId);
      }
      if (ledger.summary.admittedNotStarted > 0)
        report.repaired += await repairAdmissions(ctx, poolId, nowMs);
      if (ledger.forecastVersion < ledger.version && ledger.forecastLeaseUntilMs <= nowMs)
        await refreshQuietly(ctx, poolId);
    } catch (err: unknown) {
      ctx.log('error', `pool ${poolId}: tick failed: ${ensureError(err).message}`);
    }
  }
  return report;
}

/** Admitted long ago and still not started: the request is carried to `queued` and its message sent again. */
async function repairAdmissions(ctx: AppContext, poolId: string, nowMs: number): Promise<number> {
  const holds = await currentHolds(ctx);
  // A held one did not lose its message: it was parked, and its resume sends it again.
  const stuck = (await ctx.ports.pools.listClaims(poolId)).filter(
    (c) =>
      c.state === 'admitted' &&
      (c.admittedAtMs ?? 0) <= nowMs - admissionGraceInMs &&
      holdOn(holds, c) === undefined,
  );
  if (stuck.length === 0) return 0;
  const ledger = await ctx.ports.pools.getLedger(poolId);
  const decision: PoolDecision = {
    admitted: stuck,
    preempted: [],
    appliedSchedule: 0,
    version: ledger?.version ?? 0,
  };
  await applyToRequests(ctx, poolId, decision);
  return stuck.length;
}
