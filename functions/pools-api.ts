import { app } from '@azure/functions';
import { authorized, jsonResponse, queryOf, readJsonBody, apiAuthLevel } from './http-common';

/** PUT /api/pools/{poolId} — declares or changes a capacity pool (Triage.Admin): 201 when created, 200 when changed. */
export const putPoolHandler = authorized('pools:write', async (request, _context, caller) => {
  const body = await readJsonBody(request);
  const { pool, created } = await caller.putPool(request.params.poolId, body);
  return jsonResponse(created ? 201 : 200, pool, created ? { Location: `/api/pools/${pool.poolId}` } : {});
});

/** GET /api/pools/{poolId} — capacity, used and available per tier, reservations, waiting, schedule. */
export const getPoolHandler = authorized('pools:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.getPool(request.params.poolId)),
);

/** GET /api/pools — every pool. */
export const listPoolsHandler = authorized('pools:read', async (_request, _context, caller) =>
  jsonResponse(200, await caller.listPools()),
);

/** GET /api/pools/{poolId}/queue?limit=&continuationToken= — the waiting line, next first. */
export const getPoolQueueHandler = authorized('pools:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.getPoolQueue(request.params.poolId, queryOf(request))),
);

app.http('putPool', {
  route: 'pools/{poolId}',
  methods: ['PUT'],
  authLevel: apiAuthLevel,
  handler: putPoolHandler,
});
app.http('getPool', {
  route: 'pools/{poolId}',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getPoolHandler,
});
app.http('listPools', {
  route: 'pools',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: listPoolsHandler,
});
app.http('getPoolQueue', {
  route: 'pools/{poolId}/queue',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getPoolQueueHandler,
});
