import { isTriageError, TriageError } from '../../../domain/errors';
import { defaultPageLimit, listRequestsQuerySchema, presentParameters } from '../../../domain/queries';
import type { RequestRecord } from '../../../domain/records';
import { totalsView, type RequestTotalsView } from '../../../domain/request-totals';
import { parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { ListRequestsFilter, Page } from '../../ports/stores';
import { toRequestView, type RequestView } from '../../views/request-view';

/** A page of requests; the first page (no token) also carries the totals of every request. */
export type RequestList = Page<RequestView> & { totals?: RequestTotalsView };

/**
 * GET /api/requests?orgId=&tier=&status=&kind=&limit=&continuationToken= — one page of requests, newest
 * first (one organisation's: newest first within the page); the first page adds the totals per status
 * and per tier × status of every request, whatever the filter.
 * @throws TriageError `validation` naming each bad query parameter (a token not from a previous page included).
 */
export async function listRequests(
  ctx: AppContext,
  query: Record<string, string | undefined>,
): Promise<RequestList> {
  const parsed = parseOrThrow(listRequestsQuerySchema(ctx.tiers.names), presentParameters(query), 'query');
  const filter: ListRequestsFilter = {
    ...(parsed.orgId ? { orgId: parsed.orgId } : {}),
    ...(parsed.tier ? { tier: parsed.tier } : {}),
    ...(parsed.status ? { status: parsed.status } : {}),
    ...(parsed.kind ? { kind: parsed.kind } : {}),
  };
  const [page, totals] = await Promise.all([
    ctx.ports.requests
      .list(filter, parsed.limit ?? defaultPageLimit, parsed.continuationToken)
      .catch((err: unknown): Page<RequestRecord> => {
        if (isTriageError(err)) throw err;
        throw new TriageError('validation', 'invalid continuationToken', {
          fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
          cause: err,
        });
      }),
    parsed.continuationToken ? undefined : ctx.ports.requests.totals(),
  ]);
  const items = await Promise.all(page.items.map((r) => toRequestView(ctx, r, { detail: false })));
  return {
    items,
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    ...(totals ? { totals: totalsView(totals, ctx.tiers.names) } : {}),
  };
}
