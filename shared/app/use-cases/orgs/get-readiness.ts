import { TriageError } from '../../../domain/errors';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import { evaluateReadiness, readinessReason } from '../../../domain/scheduling/readiness';
import type { AppContext } from '../../context';
import { requiredChecks, type ReadinessView } from '../../views/readiness';

/** GET /api/orgs/{orgId}/readiness. @throws TriageError `validation`, `forbidden`, `not-found`. */
export async function getReadiness(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
): Promise<ReadinessView> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'readiness:read', id);
  if (!(await ctx.ports.orgs.get(id))) throw new TriageError('not-found', `no organisation "${id}"`);
  const stored = await ctx.ports.orgs.getReadiness(id);
  const evaluation = evaluateReadiness(stored?.checks ?? [], await requiredChecks(ctx));
  return {
    orgId: id,
    ready: evaluation.ready,
    checks: stored?.checks ?? [],
    failing: evaluation.failing,
    checkedAt: stored?.checkedAt ?? null,
    reason: readinessReason(evaluation),
  };
}
