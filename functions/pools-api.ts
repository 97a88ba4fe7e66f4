import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, queryOf, readJsonBody, withProblems } from './http-common';
import { getApp } from './runtime';

/** PUT /api/pools/{poolId} — declares or changes a capacity pool (admin): 201 when created, 200 when changed. */
export async function putPoolHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const body = await readJsonBody(request);
    const { pool, created } = await (await getApp()).putPool(request.params.poolId, body);
    return jsonResponse(created ? 201 : 200, pool, created ? { Location: `/api/pools/${pool.poolId}` } : {});
  });
}

/** GET /api/pools/{poolId} — capacity, used and available per tier, reservations, waiting, schedule. */
export async function getPoolHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getPool(request.params.poolId)),
  );
}

/** GET /api/pools — every pool. */
export async function listPoolsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => jsonResponse(200, await (await getApp()).listPools()));
}

/** GET /api/pools/{poolId}/queue?limit=&continuationToken= — the waiting line, next first. */
export async function getPoolQueueHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getPoolQueue(request.params.poolId, queryOf(request))),
  );
}

app.http('putPool', {
  route: 'pools/{poolId}',
  methods: ['PUT'],
  authLevel: 'admin',
  handler: putPoolHandler,
});
app.http('getPool', {
  route: 'pools/{poolId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: getPoolHandler,
});
app.http('listPools', { route: 'pools', methods: ['GET'], authLevel: 'function', handler: listPoolsHandler });
app.http('getPoolQueue', {
  route: 'pools/{poolId}/queue',
  methods: ['GET'],
  authLevel: 'function',
  handler: getPoolQueueHandler,
});
