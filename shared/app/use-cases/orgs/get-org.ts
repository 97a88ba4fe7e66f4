import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow, type Org } from '../../../domain/requests';
import type { AppContext } from '../../context';

/**
 * GET /api/orgs/{orgId} — an unregistered organisation answers at the default tier.
 * @throws TriageError `validation` for a malformed id; `forbidden` for a requester naming an
 *   organisation that is not its own.
 */
export async function getOrg(ctx: AppContext, caller: Principal, orgId: unknown): Promise<Org> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'orgs:read', id);
  return (
    (await ctx.ports.orgs.get(id)) ?? {
      orgId: id,
      name: id,
      sector: 'unknown',
      tier: ctx.tiers.defaultTier,
      updatedAt: new Date(0).toISOString(),
      registered: false,
    }
  );
}
