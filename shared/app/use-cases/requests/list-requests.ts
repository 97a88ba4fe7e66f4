import { isTriageError, TriageError } from '../../../domain/errors';
import { listScope, mayAttempt } from '../../../domain/identity/authorization';
import { decodeOrgPagePosition, encodeOrgPagePosition } from '../../../domain/identity/org-pages';
import type { Principal } from '../../../domain/identity/principal';
import { defaultPageLimit, listRequestsQuerySchema, presentParameters } from '../../../domain/queries';
import type { RequestRecord } from '../../../domain/records';
import { totalsView, type RequestTotalsView } from '../../../domain/request-totals';
import { parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { ListRequestsFilter, Page } from '../../ports/stores';
import { toRequestView, type RequestView } from '../../views/request-view';

const badToken = (cause?: unknown) =>
  new TriageError('validation', 'invalid continuationToken', {
    fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
    ...(cause === undefined ? {} : { cause }),
  });

/** A page of requests; an operator's first page (no token) also carries the totals of every request. */
export type RequestList = Page<RequestView> & { totals?: RequestTotalsView };

/**
 * GET /api/requests?orgId=&tier=&status=&kind=&limit=&continuationToken= — one page of the requests the
 * caller may see, newest first (one organisation's: newest first within each page): every organisation's
 * for an operator, the caller's own organisations' for a requester. An operator's first page adds the
 * totals per status and per tier × status of every request (from the time index, no full read).
 * @throws TriageError `validation` naming each bad query parameter (a token not from a previous page
 *   included); `forbidden` for an `orgId` that is not the caller's.
 */
export async function listRequests(
  ctx: AppContext,
  caller: Principal,
  query: Record<string, string | undefined>,
): Promise<RequestList> {
  const parsed = parseOrThrow(listRequestsQuerySchema(ctx.tiers.names), presentParameters(query), 'query');
  const scope = listScope(caller, 'requests:list', parsed.orgId);
  const filter: ListRequestsFilter = {
    ...(parsed.tier ? { tier: parsed.tier } : {}),
    ...(parsed.status ? { status: parsed.status } : {}),
    ...(parsed.kind ? { kind: parsed.kind } : {}),
  };
  const limit = parsed.limit ?? defaultPageLimit;
  const onePage = async (): Promise<Page<RequestRecord>> => {
    if (scope.kind === 'all') return listPage(ctx, filter, limit, parsed.continuationToken);
    if (scope.orgIds.length > 1)
      return listAcrossOrgs(ctx, scope.orgIds, filter, limit, parsed.continuationToken);
    const [orgId] = scope.orgIds;
    return orgId ? listPage(ctx, { ...filter, orgId }, limit, parsed.continuationToken) : { items: [] };
  };
  // Totals count every organisation's requests: only for a caller who may list them all.
  const listing = mayAttempt(caller, 'requests:list');
  const seesAll = caller.unrestricted || (listing.allowed && listing.scope === 'any-org');
  const [page, totals, holds] = await Promise.all([
    onePage(),
    seesAll && !parsed.continuationToken ? ctx.ports.requests.totals() : undefined,
    ctx.ports.holds.listHolds(),
  ]);
  const items = await Promise.all(page.items.map((r) => toRequestView(ctx, r, { detail: false, holds })));
  return {
    items,
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    ...(totals ? { totals: totalsView(totals, ctx.tiers.names) } : {}),
  };
}

async function listPage(
  ctx: AppContext,
  filter: ListRequestsFilter,
  limit: number,
  continuationToken?: string,
): Promise<Page<RequestRecord>> {
  try {
    return await ctx.ports.requests.list(filter, limit, continuationToken);
  } catch (err: unknown) {
    if (isTriageError(err)) throw err;
    throw badToken(err);
  }
}

/** A requester bound to several organisations: each one's single-partition listing in turn. */
async function listAcrossOrgs(
  ctx: AppContext,
  orgIds: readonly string[],
  filter: ListRequestsFilter,
  limit: number,
  continuationToken?: string,
): Promise<Page<RequestRecord>> {
  const start =
    continuationToken === undefined
      ? { orgIndex: 0 }
      : decodeOrgPagePosition(continuationToken, orgIds.length);
  if (!start) throw badToken();
  const items: RequestRecord[] = [];
  let inner = start.inner;
  for (let orgIndex = start.orgIndex; orgIndex < orgIds.length; orgIndex++, inner = undefined) {
    const page = await listPage(ctx, { ...filter, orgId: orgIds[orgIndex]! }, limit - items.length, inner);
    items.push(...page.items);
    if (page.continuationToken !== undefined) {
      return { items, continuationToken: encodeOrgPagePosition({ orgIndex, inner: page.continuationToken }) };
    }
    if (items.length >= limit && orgIndex + 1 < orgIds.length) {
      return { items, continuationToken: encodeOrgPagePosition({ orgIndex: orgIndex + 1 }) };
    }
  }
  return { items };
}
