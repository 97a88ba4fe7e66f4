/**
 * Positions, ETAs and reasons of a pool's waiting claims, and the notifications they mean (SCHEDULING.md
 * rule 3): each deferred requester is told once it waits (`request.deferred`, with its position, ETA and
 * reason), again when its ETA moves beyond the threshold (`request.eta-changed`), and when bounded wait
 * promotes it (`request.promoted`). One worker at a time recomputes a pool (a lease on its ledger), so a
 * flood of arrivals costs one simulation per round, not one per arrival; the timer is the safety net.
 */
import { etaMovedEnough } from '../../domain/scheduling/eta-change';
import { simulateQueue } from '../../domain/scheduling/eta';
import { applyDueSchedule, poolCapacitySpec } from '../../domain/scheduling/pool';
import {
  asCapacityClaim,
  asHolding,
  type PoolClaimRecord,
  type PoolLedger,
} from '../../domain/scheduling/pool-claims';
import { promotionsOf, tiersInOrder } from '../../domain/scheduling/waiting-line';
import { isTriageError } from '../../domain/errors';
import type { AppContext } from '../context';
import { recordEvent, type NewEvent } from './history';
import { retryOnConflict } from './retry-on-conflict';

const leaseInMs = 30_000;
/**
 * After a recompute the lease is kept this long: a flood of arrivals costs one simulation (and one round of
 * writes) per cooldown, not one per arrival. What arrives meanwhile is picked up by the next event after it,
 * or by the pools' timer within a second.
 */
const cooldownInMs = 500;

export type ForecastRefresh = 'fresh' | 'leased-elsewhere' | 'refreshed';

/** Recomputes the pool's forecast if a decision made it stale and no one else is at it. */
export async function refreshForecast(ctx: AppContext, poolId: string): Promise<ForecastRefresh> {
  let leased = await takeLease(ctx, poolId);
  if (leased === 'leased-elsewhere') {
    // In the cooldown after someone else's recompute: wait it out once, so what just changed is told soon.
    const ledger = await ctx.ports.pools.getLedger(poolId);
    const left = (ledger?.forecastLeaseUntilMs ?? 0) - ctx.clock().getTime();
    if (left > 0 && left <= cooldownInMs) {
      await new Promise((resolve) => setTimeout(resolve, left + 5));
      leased = await takeLease(ctx, poolId);
    }
  }
  if (leased === 'fresh' || leased === 'leased-elsewhere') return leased;
  await releaseLease(ctx, poolId, await recompute(ctx, leased));
  return 'refreshed';
}

async function takeLease(
  ctx: AppContext,
  poolId: string,
): Promise<PoolLedger | 'fresh' | 'leased-elsewhere'> {
  for (;;) {
    const ledger = await ctx.ports.pools.getLedger(poolId);
    if (!ledger || ledger.forecastVersion >= ledger.version) return 'fresh';
    const nowMs = ctx.clock().getTime();
    if (ledger.forecastLeaseUntilMs > nowMs) return 'leased-elsewhere';
    try {
      return await ctx.ports.pools.commit({ ...ledger, forecastLeaseUntilMs: nowMs + leaseInMs }, {});
    } catch (err: unknown) {
      if (!isTriageError(err, 'concurrency')) throw err;
    }
  }
}

/** Simulates the line as it stands, writes what changed, and records the notifications due. */
async function recompute(
  ctx: AppContext,
  ledger: PoolLedger,
): Promise<{ version: number; nextPromotionAtMs: number | null }> {
  const poolId = ledger.pool.poolId;
  const nowMs = ctx.clock().getTime();
  const rows = await ctx.ports.pools.listClaims(poolId);
  const byId = new Map(rows.map((r) => [r.requestId, r]));
  const { pool } = applyDueSchedule(ledger.pool, nowMs);
  const forecast = simulateQueue({
    spec: poolCapacitySpec(pool),
    tiers: ctx.tierPolicies,
    holdings: rows.filter((r) => r.state !== 'waiting').map(asHolding),
    waiting: rows.filter((r) => r.state === 'waiting').map(asCapacityClaim),
    nowMs,
  });
  const ordered = tiersInOrder(ctx.tierPolicies);
  const updates: PoolClaimRecord[] = [];
  const events = new Map<string, NewEvent[]>();
  for (const entry of forecast.entries) {
    const row = byId.get(entry.claim.id)!;
    const next: PoolClaimRecord = {
      ...row,
      position: entry.position,
      aheadByTier: entry.aheadByTier,
      etaMs: entry.etaMs,
      etaComputedAtMs: nowMs,
      reason: entry.reason,
    };
    const told: NewEvent[] = [];
    const eta = entry.etaMs === null ? null : new Date(entry.etaMs).toISOString();
    const notice = { position: entry.position, eta, message: entry.reason } as const;
    const promotions = promotionsOf(entry.claim, ordered, nowMs);
    if (promotions > (row.promotions ?? 0)) {
      told.push({
        type: 'promotion',
        notification: 'request.promoted',
        ...notice,
        message: `waited past its tier's maxWait: served ${promotions} tier(s) up; ${entry.reason}`,
      });
      next.promotions = promotions;
    }
    if (!row.notifiedDeferral) {
      told.push({ type: 'eta', notification: 'request.deferred', ...notice });
      next.notifiedDeferral = true;
      next.notifiedEtaMs = entry.etaMs;
    } else if (etaMovedEnough(row.notifiedEtaMs ?? null, entry.etaMs, nowMs)) {
      told.push({ type: 'eta', notification: 'request.eta-changed', ...notice });
      next.notifiedEtaMs = entry.etaMs;
    }
    if (told.length > 0) events.set(row.requestId, told);
    if (told.length > 0 || forecastChanged(row, next)) updates.push(next);
  }
  const stale = new Set(await ctx.ports.pools.writeForecast(poolId, updates));
  // Only what was written is told: a claim that changed meanwhile is recomputed in the next round.
  for (const [requestId, told] of events) {
    if (stale.has(requestId)) continue;
    const row = byId.get(requestId)!;
    const ref = { id: requestId, orgId: row.orgId, tier: row.tier, status: 'deferred' as const };
    for (const event of told) await recordEvent(ctx, ref, event);
  }
  return { version: ledger.version, nextPromotionAtMs: forecast.nextPromotionAtMs };
}

function forecastChanged(row: PoolClaimRecord, next: PoolClaimRecord): boolean {
  return (
    row.position !== next.position ||
    row.etaMs !== next.etaMs ||
    row.reason !== next.reason ||
    JSON.stringify(row.aheadByTier ?? {}) !== JSON.stringify(next.aheadByTier ?? {})
  );
}

/** Marks the forecast current up to the version computed, and keeps the lease for the cooldown. */
async function releaseLease(
  ctx: AppContext,
  poolId: string,
  computed: { version: number; nextPromotionAtMs: number | null },
): Promise<void> {
  await retryOnConflict(
    async () => {
      const ledger = await ctx.ports.pools.getLedger(poolId);
      if (!ledger) return;
      await ctx.ports.pools.commit(
        {
          ...ledger,
          forecastVersion: Math.max(ledger.forecastVersion, computed.version),
          forecastLeaseUntilMs: ctx.clock().getTime() + cooldownInMs,
          nextPromotionAtMs: computed.nextPromotionAtMs,
        },
        {},
      );
    },
    { what: `pool ${poolId} forecast` },
  );
}
