import { TriageError } from '../../../domain/errors';
import {
  parkedToResume,
  parseHoldTarget,
  resumedMessage,
  type DrainReport,
  type Hold,
  type HoldScope,
} from '../../../domain/holds';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { currentHolds, drainReportOf, forgetHolds } from '../../effects/holds';
import { mapLimit } from '../../../domain/map-limit';
import { decideAndApply } from '../../effects/pool-requests';
import { publishWork } from '../../effects/publish';

export interface ResumeResult {
  /** The hold lifted; null when there was none (a resume retried after a failure sends what is left). */
  resumed: Hold | null;
  /** Parked batches and provisionings sent again. */
  sent: number;
  report: DrainReport;
}

/**
 * POST /api/tiers/{tier}/resume and POST /api/orgs/{orgId}/resume — lifts the hold, sends the work it parked
 * again (what another hold still covers stays parked) and re-dispatches every pool so held claims that
 * kept their place are admitted in line order. A batch resumes where it stopped: its final items are in
 * the items table and are never run again. Safe to retry: with no hold left, it sends what is still parked.
 * Audited.
 * @throws TriageError `validation` naming `tier` or `orgId`; `not-found` when nothing is held or parked
 *   there; `dependency-unavailable` when Service Bus refuses (retry: what was sent is not sent twice).
 */
export async function resumeHold(
  ctx: AppContext,
  caller: Principal,
  scope: HoldScope,
  target: unknown,
): Promise<ResumeResult> {
  const id = parseHoldTarget(scope, target, ctx.tiers.names);
  const existing = await ctx.ports.holds.getHold(scope, id);
  if (existing) await ctx.ports.holds.removeHold(scope, id);
  forgetHolds(ctx);
  const [remaining, parked] = await Promise.all([
    currentHolds(ctx, { fresh: true }),
    ctx.ports.holds.listParked(),
  ]);
  const toSend = parkedToResume(parked, { scope, target: id }, remaining);
  if (!existing && toSend.length === 0) throw new TriageError('not-found', `${scope} ${id} is not held`);
  await publishWork(
    ctx,
    toSend.map((p) => resumedMessage(p)),
  );
  await mapLimit(toSend, 8, (p) => ctx.ports.holds.unpark(p.key).then(() => undefined));
  for (const ledger of await ctx.ports.pools.listLedgers()) {
    await decideAndApply(ctx, ledger.pool.poolId, {});
  }
  await recordAudit(ctx, caller, 'holds:write', {
    ...(scope === 'org' ? { orgId: id } : {}),
    target: `${scope} ${id}`,
    detail: `resumed: ${toSend.length} parked batch(es) or provisioning(s) sent again`,
  });
  return { resumed: existing, sent: toSend.length, report: await drainReportOf(ctx, scope, id) };
}
