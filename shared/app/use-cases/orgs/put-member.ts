import { principalIdSchema } from '../../../domain/identity/audit';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import type { Membership } from '../../ports/identity';

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
  const org = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  const member = parseOrThrow(principalIdSchema, principalId, 'principal id', 'principalId');
  assertAuthorized(caller, 'members:write', org);
  const saved = await ctx.ports.memberships.put({
    orgId: org,
    principalId: member,
    addedAt: ctx.now(),
    addedBy: caller.id,
  });
  await recordAudit(ctx, caller, 'members:write', { orgId: org, target: member, detail: 'member added' });
  return saved;
}
