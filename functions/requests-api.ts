import { app, type HttpResponseInit } from '@azure/functions';
import { authorized, csvAttachment, jsonResponse, queryOf, readJsonBody, apiAuthLevel } from './http-common';

/** POST /api/requests — records and publishes a request at the organisation's verified tier. */
export const submitRequestHandler = authorized(
  'requests:submit',
  async (request, _context, caller): Promise<HttpResponseInit> => {
    const body = await readJsonBody(request);
    const key = request.headers.get('idempotency-key') ?? undefined;
    const { request: created, warnings } = await caller.submitRequest(
      body,
      key === undefined ? {} : { idempotencyKey: key },
    );
    return jsonResponse(
      202,
      {
        id: created.id,
        kind: created.kind,
        orgId: created.orgId,
        tier: created.tier,
        status: created.status,
        ...(warnings.length > 0 ? { warnings } : {}),
      },
      { Location: `/api/requests/${created.id}` },
    );
  },
);

/** GET /api/requests/{id} — status, progress, batches and history. */
export const getRequestHandler = authorized('requests:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.getRequest(request.params.id)),
);

/** GET /api/requests/{id}/duplicates — the mailboxes it skipped as CSV (streamed). */
export const readDuplicatesHandler = authorized('requests:read', async (request, _context, caller) =>
  csvAttachment(await caller.readDuplicates(request.params.id), `${request.params.id}-duplicates.csv`),
);

/** GET /api/requests?orgId=&tier=&status=&kind=&limit=&continuationToken= */
export const listRequestsHandler = authorized('requests:list', async (request, _context, caller) =>
  jsonResponse(200, await caller.listRequests(queryOf(request))),
);

/** POST /api/requests/{id}/cancel */
export const cancelRequestHandler = authorized('requests:cancel', async (request, _context, caller) =>
  jsonResponse(200, await caller.cancelRequest(request.params.id)),
);

/** POST /api/requests/{id}/retry */
export const retryRequestHandler = authorized('requests:retry', async (request, _context, caller) =>
  jsonResponse(202, await caller.retryRequest(request.params.id)),
);

/** POST /api/requests/{id}/release — the provisioned capacity was given back to its pool. */
export const releaseRequestHandler = authorized('requests:release', async (request, _context, caller) =>
  jsonResponse(200, await caller.releaseRequest(request.params.id)),
);

app.http('submitRequest', {
  route: 'requests',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: submitRequestHandler,
});
app.http('listRequests', {
  route: 'requests',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: listRequestsHandler,
});
app.http('getRequest', {
  route: 'requests/{id}',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getRequestHandler,
});
app.http('readDuplicates', {
  route: 'requests/{id}/duplicates',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: readDuplicatesHandler,
});
app.http('cancelRequest', {
  route: 'requests/{id}/cancel',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: cancelRequestHandler,
});
app.http('retryRequest', {
  route: 'requests/{id}/retry',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: retryRequestHandler,
});
app.http('releaseRequest', {
  route: 'requests/{id}/release',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: releaseRequestHandler,
});
