import { TriageError } from '../../../domain/errors';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import { evaluateReadiness, readinessReason } from '../../../domain/scheduling/readiness';
import { parseReadinessReport } from '../../../domain/scheduling/readiness-schema';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { markPlanStale, replanProgramme } from '../../effects/programme-plan';
import { requiredChecks, type ReadinessView } from '../../views/readiness';

/**
 * PUT /api/orgs/{orgId}/readiness — what a local IT admin reports. Checks merge by name over earlier
 * reports; the organisation is ready when every required check passes. Its migrations then get their days
 * (ahead of everyone behind them), or lose them while it is not ready. The organisation's own
 * requesters only; audited.
 * @throws TriageError `validation` (an unknown check names `checks.N.name`); `forbidden` for an
 *   organisation not the caller's; `not-found` for an unregistered organisation.
 */
export async function putReadiness(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
  body: unknown,
): Promise<ReadinessView> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'readiness:write', id);
  const required = await requiredChecks(ctx);
  const report = parseReadinessReport(body, required);
  if (!(await ctx.ports.orgs.get(id)))
    throw new TriageError('not-found', `no organisation "${id}": register it first`);
  const previous = await ctx.ports.orgs.getReadiness(id);
  const byName = new Map((previous?.checks ?? []).map((c) => [c.name, c]));
  for (const check of report.checks) byName.set(check.name, check);
  const stored = { checks: [...byName.values()], checkedAt: ctx.now() };
  await ctx.ports.orgs.putReadiness(id, stored);
  await recordAudit(ctx, caller, 'readiness:write', {
    orgId: id,
    target: id,
    detail: report.checks.map((c) => c.name).join(', '),
  });
  const evaluation = evaluateReadiness(stored.checks, required);
  const reason = readinessReason(evaluation);
  const claims = await ctx.ports.programme.listOrgClaims(id);
  const changed = claims
    .filter((c) => c.ready !== evaluation.ready || (!evaluation.ready && c.readinessReason !== reason))
    .map((c) => ({
      ...c,
      ready: evaluation.ready,
      ...(evaluation.ready ? { readinessReason: undefined } : { readinessReason: reason }),
    }));
  if (changed.length > 0) {
    await ctx.ports.programme.updateClaims(changed);
    await markPlanStale(ctx);
    await replanProgramme(ctx).catch(() => undefined);
  }
  return {
    orgId: id,
    ready: evaluation.ready,
    checks: stored.checks,
    failing: evaluation.failing,
    checkedAt: stored.checkedAt,
    reason,
  };
}
