import { TriageError } from '../../../domain/errors';
import type { OrgAuditEntry } from '../../../domain/orgs';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';

/**
 * GET /api/orgs/{orgId}/audit — every change to an organisation: who, when, from which tier to which, why.
 * @throws TriageError `validation` for a malformed id; `not-found` for an unregistered organisation.
 */
export async function getOrgAudit(ctx: AppContext, orgId: unknown): Promise<{ items: OrgAuditEntry[] }> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  const items = await ctx.ports.orgs.listAudit(id);
  if (items.length === 0 && !(await ctx.ports.orgs.get(id))) {
    throw new TriageError('not-found', `no organisation "${id}"`);
  }
  return { items };
}
