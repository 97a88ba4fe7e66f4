import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import type { Membership } from '../../ports/identity';
import { memberIds } from './member-ids';

/**
 * PUT /api/orgs/{orgId}/members/{principalId} — binds a principal's Triage.Requester role to the
 * organisation (the role itself is assigned in Entra ID). Admins only; idempotent; audited.
 * @throws TriageError `validation` for a malformed orgId or principal id; `forbidden` without the Admin role.
 */
export async function putMember(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
  principalId: unknown,
): Promise<Membership> {
  const ids = memberIds(caller, 'members:write', orgId, principalId);
  const saved = await ctx.ports.memberships.put({ ...ids, addedAt: ctx.now(), addedBy: caller.id });
  await recordAudit(ctx, caller, 'members:write', {
    orgId: ids.orgId,
    target: ids.principalId,
    detail: 'member added',
  });
  return saved;
}
