import { TriageError } from '../../../domain/errors';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { memberIds } from './member-ids';

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
  const ids = memberIds(caller, 'members:write', orgId, principalId);
  if (!(await ctx.ports.memberships.delete(ids.orgId, ids.principalId))) {
    throw new TriageError('not-found', `"${ids.principalId}" is not a member of "${ids.orgId}"`);
  }
  await recordAudit(ctx, caller, 'members:write', {
    orgId: ids.orgId,
    target: ids.principalId,
    detail: 'member removed',
  });
}
