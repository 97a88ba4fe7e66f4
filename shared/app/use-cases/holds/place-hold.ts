import { TriageError } from '../../../domain/errors';
import {
  parseHoldBody,
  parseHoldTarget,
  type DrainReport,
  type Hold,
  type HoldScope,
} from '../../../domain/holds';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { drainReportOf, forgetHolds } from '../../effects/holds';

/**
 * POST /api/tiers/{tier}/hold and POST /api/orgs/{orgId}/hold — stops the tier's or organisation's work
 * from starting: waiting pool claims keep their place but are not admitted, new batches and provisionings
 * are parked, running batches finish their in-flight items and stop at their next item boundary. Placed by
 * the caller (shown with its reason in every view); holding again changes the reason and keeps `since`.
 * Audited. Returns the drain report.
 * @throws TriageError `validation` naming `tier`, `orgId` or `reason`; `not-found` for an unknown organisation.
 */
export async function placeHold(
  ctx: AppContext,
  caller: Principal,
  scope: HoldScope,
  target: unknown,
  body: unknown,
): Promise<{ report: DrainReport; created: boolean }> {
  const id = parseHoldTarget(scope, target, ctx.tiers.names);
  const { reason } = parseHoldBody(body);
  if (scope === 'org' && !(await ctx.ports.orgs.get(id))) {
    throw new TriageError('not-found', `no organisation "${id}"`);
  }
  const existing = await ctx.ports.holds.getHold(scope, id);
  const hold: Hold = {
    scope,
    target: id,
    reason,
    heldBy: { id: caller.id, name: caller.name },
    since: existing?.since ?? ctx.now(),
  };
  await ctx.ports.holds.putHold(hold);
  forgetHolds(ctx);
  await recordAudit(ctx, caller, 'holds:write', {
    ...(scope === 'org' ? { orgId: id } : {}),
    target: `${scope} ${id}`,
    detail: `${existing ? 'hold changed' : 'held'}: ${reason}`,
  });
  return { report: await drainReportOf(ctx, scope, id), created: !existing };
}
