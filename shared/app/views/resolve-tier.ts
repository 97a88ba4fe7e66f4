import { effectiveTier } from '../../domain/orgs';
import type { AppContext } from '../context';

/** A tier and where it came from: the registry, or the default for an organisation it does not know. */
export interface TierDecision {
  tier: string;
  registered: boolean;
}

/**
 * The organisation's verified tier now: an unregistered organisation, or one whose tier has expired, is
 * served at the default tier.
 */
export async function resolveTier(ctx: AppContext, orgId: string): Promise<string> {
  return (await decideTier(ctx, orgId)).tier;
}

/** As `resolveTier`, saying whether the registry knew the organisation (a typo'd orgId is not silent). */
export async function decideTier(ctx: AppContext, orgId: string): Promise<TierDecision> {
  const org = await ctx.ports.orgs.get(orgId);
  return { tier: effectiveTier(org, ctx.clock().getTime(), ctx.tiers), registered: org !== null };
}
