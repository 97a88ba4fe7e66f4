import { TriageError } from '../../../domain/errors';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import type { OrgAuditEntry } from '../../../domain/orgs';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';

/**
 * GET /api/orgs/{orgId}/audit — every change to an organisation: who, when, from which tier to which, why.
 * @throws TriageError `validation` for a malformed id; `forbidden` without a role for it; `not-found` for
 *   an unregistered organisation.
 */
export async function getOrgAudit(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
): Promise<{ items: OrgAuditEntry[] }> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'orgs:audit', id);
  const items = await ctx.ports.orgs.listAudit(id);
  if (items.length === 0 && !(await ctx.ports.orgs.get(id))) {
    throw new TriageError('not-found', `no organisation "${id}"`);
  }
  return { items };
}
