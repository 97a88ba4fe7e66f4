import { isTriageError, TriageError } from '../../../domain/errors';
import { defaultPageLimit, listRequestsQuerySchema, presentParameters } from '../../../domain/queries';
import type { RequestRecord } from '../../../domain/records';
import { parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { ListRequestsFilter, Page } from '../../ports/stores';
import { toRequestView, type RequestView } from '../../views/request-view';

/**
 * GET /api/requests?orgId=&tier=&status=&kind=&limit=&continuationToken= — one page of requests.
 * @throws TriageError `validation` naming each bad query parameter (a token not from a previous page included).
 */
export async function listRequests(
  ctx: AppContext,
  query: Record<string, string | undefined>,
): Promise<Page<RequestView>> {
  const parsed = parseOrThrow(listRequestsQuerySchema(ctx.tiers.names), presentParameters(query), 'query');
  const filter: ListRequestsFilter = {
    ...(parsed.orgId ? { orgId: parsed.orgId } : {}),
    ...(parsed.tier ? { tier: parsed.tier } : {}),
    ...(parsed.status ? { status: parsed.status } : {}),
    ...(parsed.kind ? { kind: parsed.kind } : {}),
  };
  let page: Page<RequestRecord>;
  try {
    page = await ctx.ports.requests.list(filter, parsed.limit ?? defaultPageLimit, parsed.continuationToken);
  } catch (err: unknown) {
    if (isTriageError(err)) throw err;
    throw new TriageError('validation', 'invalid continuationToken', {
      fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
      cause: err,
    });
  }
  const items = await Promise.all(page.items.map((r) => toRequestView(ctx, r, { detail: false })));
  return { items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
}
