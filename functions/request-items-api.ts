import { app } from '@azure/functions';
import { authorized, csvAttachment, jsonResponse, queryOf, apiAuthLevel } from './http-common';

/** GET /api/requests/{id}/items?status=failed|succeeded|pending&limit=&continuationToken= */
export const listRequestItemsHandler = authorized('requests:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.listRequestItems(request.params.id, queryOf(request))),
);

/** GET /api/requests/{id}/report — the CSV report written when the request finished (streamed). */
export const getReportHandler = authorized('requests:read', async (request, _context, caller) =>
  csvAttachment(await caller.readReport(request.params.id), `${request.params.id}.csv`),
);

app.http('listRequestItems', {
  route: 'requests/{id}/items',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: listRequestItemsHandler,
});
app.http('getRequestReport', {
  route: 'requests/{id}/report',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getReportHandler,
});
