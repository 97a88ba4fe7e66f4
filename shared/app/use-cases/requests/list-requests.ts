import { isTriageError, TriageError } from '../../../domain/errors';
import { listScope } from '../../../domain/identity/authorization';
import { decodeOrgPagePosition, encodeOrgPagePosition } from '../../../domain/identity/org-pages';
import type { Principal } from '../../../domain/identity/principal';
import { defaultPageLimit, listRequestsQuerySchema, presentParameters } from '../../../domain/queries';
import type { RequestRecord } from '../../../domain/records';
import { parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { ListRequestsFilter, Page } from '../../ports/stores';
import { toRequestView, type RequestView } from '../../views/request-view';

const badToken = (cause?: unknown) =>
  new TriageError('validation', 'invalid continuationToken', {
    fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
    ...(cause === undefined ? {} : { cause }),
  });

/**
 * GET /api/requests?orgId=&tier=&status=&kind=&limit=&continuationToken= — one page of the requests the
 * caller may see: every organisation's for an operator, the caller's own organisations' for a requester.
 * @throws TriageError `validation` naming each bad query parameter (a token not from a previous page
 *   included); `forbidden` for an `orgId` that is not the caller's.
 */
export async function listRequests(
  ctx: AppContext,
  caller: Principal,
  query: Record<string, string | undefined>,
): Promise<Page<RequestView>> {
  const parsed = parseOrThrow(listRequestsQuerySchema(ctx.tiers.names), presentParameters(query), 'query');
  const scope = listScope(caller, 'requests:list', parsed.orgId);
  const filter: ListRequestsFilter = {
    ...(parsed.tier ? { tier: parsed.tier } : {}),
    ...(parsed.status ? { status: parsed.status } : {}),
    ...(parsed.kind ? { kind: parsed.kind } : {}),
  };
  const limit = parsed.limit ?? defaultPageLimit;
  let page: Page<RequestRecord>;
  if (scope.kind === 'all') page = await listPage(ctx, filter, limit, parsed.continuationToken);
  else if (scope.orgIds.length <= 1) {
    const [orgId] = scope.orgIds;
    page = orgId ? await listPage(ctx, { ...filter, orgId }, limit, parsed.continuationToken) : { items: [] };
  } else page = await listAcrossOrgs(ctx, scope.orgIds, filter, limit, parsed.continuationToken);
  const items = await Promise.all(page.items.map((r) => toRequestView(ctx, r, { detail: false })));
  return { items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
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
