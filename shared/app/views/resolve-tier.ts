import { effectiveTier } from '../../domain/orgs';
import type { AppContext } from '../context';

/**
 * The organisation's verified tier now: an unregistered organisation, or one whose tier has expired, is
 * served at the default tier.
 */
export async function resolveTier(ctx: AppContext, orgId: string): Promise<string> {
  return effectiveTier(await ctx.ports.orgs.get(orgId), ctx.clock().getTime(), ctx.tiers);
}
