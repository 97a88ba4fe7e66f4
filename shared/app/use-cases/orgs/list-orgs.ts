import { z } from 'zod';
import { isTriageError, TriageError } from '../../../domain/errors';
import { holdOn, type Hold } from '../../../domain/holds';
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
import { evaluateReadiness } from '../../../domain/scheduling/readiness';
import { requiredChecks } from '../../views/readiness';
import type { OrgView } from './get-org';

/** A registry entry as listed: its served tier and its readiness now (the failing required checks). */
export type ListedOrg = OrgView & {
  ready: boolean;
  failing: string[];
  /** The hold that stops its work (its own, or its served tier's): who, why, since when. */
  hold?: Hold;
};

function listOrgsQuerySchema(tierNames: readonly string[]) {
  return z.strictObject({
    tier: z.enum(tierNames as [string, ...string[]]).optional(),
    ready: z.enum(['true', 'false']).optional(),
    limit: pageLimitSchema.optional(),
    continuationToken: continuationTokenSchema.optional(),
  });
}

/**
 * GET /api/orgs?tier=&ready=&limit=&continuationToken= — the registry, one page at a time, in orgId order,
 * each with its readiness as GET /api/orgs/{orgId}/readiness evaluates it (every check the calendar
 * requires reported and passing; without a calendar nothing is required, so every organisation is ready).
 * `tier` filters server-side; `ready` filters each page after its readiness is read (one point read per
 * organisation), so a page can be short while a token follows.
 * @throws TriageError `validation` naming each bad parameter (a token not from a previous page included).
 */
export async function listOrgs(
  ctx: AppContext,
  query: Record<string, string | undefined>,
): Promise<Page<ListedOrg>> {
  const parsed = parseOrThrow(listOrgsQuerySchema(ctx.tiers.names), presentParameters(query), 'query');
  const filter: ListOrgsFilter = parsed.tier ? { tier: parsed.tier } : {};
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
  const [required, holds] = await Promise.all([requiredChecks(ctx), ctx.ports.holds.listHolds()]);
  const listed = await Promise.all(
    page.items.map(async (org): Promise<ListedOrg> => {
      const stored = await ctx.ports.orgs.getReadiness(org.orgId);
      const evaluation = evaluateReadiness(stored?.checks ?? [], required);
      const servedTier = effectiveTier(org, nowMs, ctx.tiers);
      const hold = holdOn(holds, { tier: servedTier, orgId: org.orgId });
      return {
        ...org,
        servedTier,
        ready: evaluation.ready,
        failing: evaluation.failing.map((f) => f.name),
        ...(hold ? { hold } : {}),
      };
    }),
  );
  const wanted = parsed.ready === undefined ? undefined : parsed.ready === 'true';
  return {
    items: listed.filter((org) => wanted === undefined || org.ready === wanted),
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
  };
}
