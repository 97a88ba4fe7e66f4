import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, queryOf, withProblems } from './http-common';
import { getApp } from './runtime';

/** GET /api/requests/{id}/items?status=failed|succeeded|pending&limit=&continuationToken= */
export async function listRequestItemsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).listRequestItems(request.params.id, queryOf(request))),
  );
}

/** GET /api/requests/{id}/report — the CSV report written when the request finished (streamed). */
export async function getReportHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => ({
    status: 200,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${request.params.id}.csv"`,
    },
    body: await (await getApp()).readReport(request.params.id),
  }));
}

app.http('listRequestItems', {
  route: 'requests/{id}/items',
  methods: ['GET'],
  authLevel: 'function',
  handler: listRequestItemsHandler,
});
app.http('getRequestReport', {
  route: 'requests/{id}/report',
  methods: ['GET'],
  authLevel: 'function',
  handler: getReportHandler,
});
