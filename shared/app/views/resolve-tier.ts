import type { AppContext } from '../context';

/** The organisation's verified tier; an unregistered organisation is served at the default tier. */
export async function resolveTier(ctx: AppContext, orgId: string): Promise<string> {
  const org = await ctx.ports.orgs.get(orgId);
  return org && ctx.tiers.isTier(org.tier) ? org.tier : ctx.tiers.defaultTier;
}
