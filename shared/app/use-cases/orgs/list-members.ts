import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { Membership } from '../../ports/identity';

/**
 * GET /api/orgs/{orgId}/members — the principals bound to the organisation (one partition of the
 * reverse index). Admins and operators.
 * @throws TriageError `validation` for a malformed orgId; `forbidden` without either role.
 */
export async function listMembers(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
): Promise<{ items: Membership[] }> {
  const org = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'members:read', org);
  return { items: await ctx.ports.memberships.listMembers(org) };
}
