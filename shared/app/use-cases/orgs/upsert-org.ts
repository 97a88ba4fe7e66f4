import { TriageError } from '../../../domain/errors';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, orgSchema, parseOrThrow, type Org } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';

/**
 * PUT /api/orgs/{orgId} — registers an organisation and its verified tier: the only place a tier comes
 * from. Admins only; audited.
 * @throws TriageError `validation` naming each bad field (including a tier the topology does not know);
 *   `forbidden` without the Admin role.
 */
export async function upsertOrg(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
  body: unknown,
): Promise<Org> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'orgs:write', id);
  const input = parseOrThrow(orgSchema, body, 'organisation');
  if (!ctx.tiers.isTier(input.tier)) {
    throw new TriageError('validation', `unknown tier "${input.tier}"`, {
      fields: [{ field: 'tier', message: `one of ${ctx.tiers.names.join(', ')}` }],
    });
  }
  const saved = await ctx.ports.orgs.upsert({ orgId: id, ...input, updatedAt: ctx.now() });
  await recordAudit(ctx, caller, 'orgs:write', { orgId: id, target: id, detail: `tier ${saved.tier}` });
  return saved;
}
