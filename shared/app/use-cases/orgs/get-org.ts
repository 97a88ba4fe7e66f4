import { orgIdSchema, parseOrThrow, type Org } from '../../../domain/requests';
import type { AppContext } from '../../context';

/**
 * GET /api/orgs/{orgId} — an unregistered organisation answers at the default tier.
 * @throws TriageError `validation` for a malformed id.
 */
export async function getOrg(ctx: AppContext, orgId: unknown): Promise<Org> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
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
