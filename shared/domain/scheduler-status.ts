/**
 * The scheduler at a glance, per tier: requests and mailboxes waiting, running, done and failed, the
 * oldest wait, the next ETAs of waiting claims and how far ETAs have slipped. The status page draws it;
 * the metrics timer sends the same figures to Application Insights.
 */
import type { PoolClaimRecord } from './scheduling/pool-claims';
import type { TotalsByTier, TotalsCell } from './request-totals';
import type { RequestStatus } from './status';

/** Statuses that count as waiting: accepted, not started (issue 9's `scheduled` counts too once it exists). */
export const waitingStatuses: ReadonlySet<string> = new Set(['received', 'queued', 'deferred', 'scheduled']);

export interface TierCounts {
  waiting: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface NextEta {
  requestId: string;
  poolId: string;
  position: number | null;
  eta: string | null;
}

export interface TierStatus {
  tier: string;
  requests: TierCounts;
  /** Migrations: mailboxes of waiting requests, still to do in running ones, succeeded, failed. */
  mailboxes: Omit<TierCounts, 'cancelled'>;
  deferred: number;
  /** The earliest intake time among waiting requests, and how long ago that was. */
  oldestWaitingSince: string | null;
  oldestWaitSeconds: number;
  /** The soonest ETAs of the tier's waiting claims, across pools (at most three). */
  nextEtas: NextEta[];
  /** How much later than last told the tier's waiting claims now expect to start (the worst one). */
  etaSlipSeconds: number;
}

const cellsOf = (totals: TotalsByTier, tier: string): Array<[RequestStatus, TotalsCell]> =>
  Object.entries(totals[tier] ?? {}) as Array<[RequestStatus, TotalsCell]>;

/**
 * Per tier, from the request totals and the pools' claims (each with its pool id), at `nowMs`.
 * Tiers come in the order given, then any tier only the data knows.
 */
export function schedulerStatus(
  tierNames: readonly string[],
  totals: TotalsByTier,
  claims: ReadonlyArray<PoolClaimRecord & { poolId: string }>,
  nowMs: number,
): TierStatus[] {
  const tiers = [...new Set([...tierNames, ...Object.keys(totals)])];
  return tiers.map((tier): TierStatus => {
    const requests: TierCounts = { waiting: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    const mailboxes = { waiting: 0, running: 0, done: 0, failed: 0 };
    let deferred = 0;
    let oldest: string | undefined;
    for (const [status, cell] of cellsOf(totals, tier)) {
      mailboxes.done += cell.succeeded;
      mailboxes.failed += cell.failed;
      if (waitingStatuses.has(status)) {
        requests.waiting += cell.requests;
        mailboxes.waiting += cell.mailboxes - cell.succeeded - cell.failed;
        if (cell.oldestCreatedAt && (!oldest || cell.oldestCreatedAt < oldest)) oldest = cell.oldestCreatedAt;
      } else if (status === 'running') {
        requests.running += cell.requests;
        mailboxes.running += cell.mailboxes - cell.succeeded - cell.failed;
      } else if (status === 'completed' || status === 'completed-with-errors') requests.done += cell.requests;
      else if (status === 'failed') requests.failed += cell.requests;
      else if (status === 'cancelled') requests.cancelled += cell.requests;
      if (status === 'deferred') deferred += cell.requests;
    }
    const waiting = claims.filter((c) => c.tier === tier && c.state === 'waiting');
    const nextEtas = waiting
      .filter((c) => typeof c.etaMs === 'number')
      .sort((a, b) => a.etaMs! - b.etaMs! || (a.position ?? 0) - (b.position ?? 0))
      .slice(0, 3)
      .map((c) => ({
        requestId: c.requestId,
        poolId: c.poolId,
        position: c.position ?? null,
        eta: new Date(c.etaMs!).toISOString(),
      }));
    return {
      tier,
      requests,
      mailboxes,
      deferred,
      oldestWaitingSince: oldest ?? null,
      oldestWaitSeconds: oldest ? Math.max(0, Math.round((nowMs - Date.parse(oldest)) / 1000)) : 0,
      nextEtas,
      etaSlipSeconds: Math.max(0, ...waiting.map((c) => etaSlipMs(c, nowMs))) / 1000,
    };
  });
}

/**
 * How much later than the requester was last told a waiting claim will now start: its current ETA (or
 * now, when that has passed without a start) minus the ETA it was told; 0 when it was never told one.
 */
export function etaSlipMs(claim: Pick<PoolClaimRecord, 'etaMs' | 'notifiedEtaMs'>, nowMs: number): number {
  if (typeof claim.notifiedEtaMs !== 'number') return 0;
  const expected = typeof claim.etaMs === 'number' ? Math.max(claim.etaMs, nowMs) : nowMs;
  return Math.max(0, expected - claim.notifiedEtaMs);
}

/** One value of a per-tier custom metric, as Application Insights records it (name, value, `tier`). */
export interface SchedulerMetric {
  name: (typeof schedulerMetricNames)[number];
  tier: string;
  value: number;
}

/** The scheduler's custom metrics (customMetrics in Application Insights; the workbook and alert use them). */
export const schedulerMetricNames = [
  'triage.waiting',
  'triage.deferred',
  'triage.oldest_wait_seconds',
  'triage.eta_slip_seconds',
] as const;

/** Every tier's four metrics: waiting requests, deferred requests, the oldest wait and the ETA slip. */
export function schedulerMetrics(tiers: readonly TierStatus[]): SchedulerMetric[] {
  return tiers.flatMap((t): SchedulerMetric[] => [
    { name: 'triage.waiting', tier: t.tier, value: t.requests.waiting },
    { name: 'triage.deferred', tier: t.tier, value: t.deferred },
    { name: 'triage.oldest_wait_seconds', tier: t.tier, value: t.oldestWaitSeconds },
    { name: 'triage.eta_slip_seconds', tier: t.tier, value: t.etaSlipSeconds },
  ]);
}
