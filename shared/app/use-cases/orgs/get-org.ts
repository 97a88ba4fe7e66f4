import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { effectiveTier, type Org } from '../../../domain/orgs';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';

/** An organisation as the API shows it: `servedTier` is the tier its work runs at now (after expiry). */
export type OrgView = Org & { servedTier: string };

/**
 * GET /api/orgs/{orgId} — an unregistered organisation answers at the default tier.
 * @throws TriageError `validation` for a malformed id; `forbidden` for a requester naming an
 *   organisation that is not its own.
 */
export async function getOrg(ctx: AppContext, caller: Principal, orgId: unknown): Promise<OrgView> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'orgs:read', id);
  const org = await ctx.ports.orgs.get(id);
  const servedTier = effectiveTier(org, ctx.clock().getTime(), ctx.tiers);
  return org
    ? { ...org, servedTier }
    : {
        orgId: id,
        name: id,
        sector: 'unknown',
        tier: ctx.tiers.defaultTier,
        updatedAt: new Date(0).toISOString(),
        registered: false,
        servedTier,
      };
}
