import { ensureError } from '../../../domain/errors';
import type { MailboxEntry } from '../../../domain/inventory';
import type { RequestRecord } from '../../../domain/records';
import { evaluateReadiness, readinessReason } from '../../../domain/scheduling/readiness';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { mutateRequest } from '../../effects/mutate-request';
import { markPlanStale, replanProgramme } from '../../effects/programme-plan';
import type { ProgrammeState } from '../../ports/programme';

/**
 * With a programme calendar, a migration is planned, not run: its inventory's counts and bytes join the
 * programme as a claim (its organisation's readiness with it), the plan is re-run, and waves hand its
 * mailboxes to batches day by day. Idempotent: a redelivered planning message finds its claim.
 * @returns false when there is nothing to plan (an empty inventory: it completes as without a calendar).
 */
export async function registerProgrammeClaim(
  ctx: AppContext,
  request: RequestRecord,
  mailboxes: readonly MailboxEntry[],
  state: ProgrammeState,
  delivery: DeliveryContext,
): Promise<boolean> {
  if (mailboxes.length === 0) return false;
  // Sizes the inventory does not give count as 0 bytes: the byte cap then binds only on known sizes.
  const bytes = mailboxes.reduce((sum, m) => sum + (m.sizeBytes ?? 0), 0);
  const stored = await ctx.ports.orgs.getReadiness(request.orgId);
  const readiness = evaluateReadiness(stored?.checks ?? [], state.calendar.requiredChecks);
  await ctx.ports.programme.addClaim({
    requestId: request.id,
    orgId: request.orgId,
    tier: request.tier,
    arrivedAtMs: Date.parse(request.createdAt),
    mailboxes: mailboxes.length,
    bytes,
    materializedMailboxes: 0,
    materializedBytes: 0,
    ready: readiness.ready,
    ...(readiness.ready ? {} : { readinessReason: readinessReason(readiness) }),
  });
  await mutateRequest(ctx, request.id, (c) =>
    c.programme
      ? null
      : { ...c, programme: true, total: mailboxes.length, processedBy: delivery.functionName },
  );
  await markPlanStale(ctx);
  await replanProgramme(ctx).catch((err: unknown) =>
    ctx.log(
      'warn',
      `programme not re-planned after ${request.id} (the timer will): ${ensureError(err).message}`,
    ),
  );
  return true;
}
