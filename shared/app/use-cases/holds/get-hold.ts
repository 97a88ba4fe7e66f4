import { parseHoldTarget, type DrainReport, type HoldScope } from '../../../domain/holds';
import type { AppContext } from '../../context';
import { drainReportOf } from '../../effects/holds';

/**
 * GET /api/tiers/{tier}/hold and GET /api/orgs/{orgId}/hold — the drain report: whether it is held (by
 * whom, why, since when), how many of its batches and provisionings are still executing and their items
 * left, `drained: true` when none, and how much of it is parked.
 * @throws TriageError `validation` naming `tier` or `orgId`.
 */
export async function getHold(ctx: AppContext, scope: HoldScope, target: unknown): Promise<DrainReport> {
  return drainReportOf(ctx, scope, parseHoldTarget(scope, target, ctx.tiers.names));
}
