import { TriageError } from '../../../domain/errors';
import { principalIdSchema } from '../../../domain/identity/audit';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';

/**
 * DELETE /api/orgs/{orgId}/members/{principalId} — ends a principal's binding to the organisation; its
 * next call no longer acts for it. Admins only; audited.
 * @throws TriageError `validation` for malformed ids; `forbidden` without the Admin role; `not-found`
 *   when there was no such membership.
 */
export async function deleteMember(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
  principalId: unknown,
): Promise<void> {
  const org = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  const member = parseOrThrow(principalIdSchema, principalId, 'principal id', 'principalId');
  assertAuthorized(caller, 'members:write', org);
  if (!(await ctx.ports.memberships.delete(org, member))) {
    throw new TriageError('not-found', `"${member}" is not a member of "${org}"`);
  }
  await recordAudit(ctx, caller, 'members:write', { orgId: org, target: member, detail: 'member removed' });
}
