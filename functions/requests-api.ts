import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, queryOf, readJsonBody, withProblems } from './http-common';
import { getApp } from './runtime';

/** POST /api/requests — records and publishes a request at the organisation's verified tier. */
export async function submitRequestHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const body = await readJsonBody(request);
    const key = request.headers.get('idempotency-key') ?? undefined;
    const { request: created, warnings } = await (
      await getApp()
    ).submitRequest(body, key === undefined ? {} : { idempotencyKey: key });
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
  });
}

/** GET /api/requests/{id} — status, progress, batches and history. */
export async function getRequestHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getRequest(request.params.id)),
  );
}

/** GET /api/requests?orgId=&tier=&status=&kind=&limit=&continuationToken= */
export async function listRequestsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).listRequests(queryOf(request))),
  );
}

/** POST /api/requests/{id}/cancel */
export async function cancelRequestHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).cancelRequest(request.params.id)),
  );
}

/** POST /api/requests/{id}/retry */
export async function retryRequestHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(202, await (await getApp()).retryRequest(request.params.id)),
  );
}

/** POST /api/requests/{id}/release — the provisioned capacity was given back to its pool. */
export async function releaseRequestHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).releaseRequest(request.params.id)),
  );
}

app.http('submitRequest', {
  route: 'requests',
  methods: ['POST'],
  authLevel: 'function',
  handler: submitRequestHandler,
});
app.http('listRequests', {
  route: 'requests',
  methods: ['GET'],
  authLevel: 'function',
  handler: listRequestsHandler,
});
app.http('getRequest', {
  route: 'requests/{id}',
  methods: ['GET'],
  authLevel: 'function',
  handler: getRequestHandler,
});
app.http('cancelRequest', {
  route: 'requests/{id}/cancel',
  methods: ['POST'],
  authLevel: 'function',
  handler: cancelRequestHandler,
});
app.http('retryRequest', {
  route: 'requests/{id}/retry',
  methods: ['POST'],
  authLevel: 'function',
  handler: retryRequestHandler,
});
app.http('releaseRequest', {
  route: 'requests/{id}/release',
  methods: ['POST'],
  authLevel: 'function',
  handler: releaseRequestHandler,
});
