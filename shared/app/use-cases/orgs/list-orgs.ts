import { z } from 'zod';
import { isTriageError, TriageError } from '../../../domain/errors';
import { effectiveTier } from '../../../domain/orgs';
import {
  continuationTokenSchema,
  defaultPageLimit,
  pageLimitSchema,
  presentParameters,
} from '../../../domain/queries';
import { parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { ListOrgsFilter, Page } from '../../ports/stores';
import type { OrgView } from './get-org';

function listOrgsQuerySchema(tierNames: readonly string[]) {
  return z.strictObject({
    tier: z.enum(tierNames as [string, ...string[]]).optional(),
    ready: z.enum(['true', 'false']).optional(),
    limit: pageLimitSchema.optional(),
    continuationToken: continuationTokenSchema.optional(),
  });
}

/**
 * GET /api/orgs?tier=&ready=&limit=&continuationToken= — the registry, one page at a time, in orgId order.
 * `tier` is the registered tier; `ready` is the readiness an organisation last reported (every required
 * check passing); one that never reported counts as not ready.
 * @throws TriageError `validation` naming each bad parameter (a token not from a previous page included).
 */
export async function listOrgs(
  ctx: AppContext,
  query: Record<string, string | undefined>,
): Promise<Page<OrgView>> {
  const parsed = parseOrThrow(listOrgsQuerySchema(ctx.tiers.names), presentParameters(query), 'query');
  const filter: ListOrgsFilter = {
    ...(parsed.tier ? { tier: parsed.tier } : {}),
    ...(parsed.ready ? { ready: parsed.ready === 'true' } : {}),
  };
  let page;
  try {
    page = await ctx.ports.orgs.list(filter, parsed.limit ?? defaultPageLimit, parsed.continuationToken);
  } catch (err: unknown) {
    if (isTriageError(err)) throw err;
    throw new TriageError('validation', 'invalid continuationToken', {
      fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
      cause: err,
    });
  }
  const nowMs = ctx.clock().getTime();
  return {
    items: page.items.map((org) => ({ ...org, servedTier: effectiveTier(org, nowMs, ctx.tiers) })),
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
  };
}
