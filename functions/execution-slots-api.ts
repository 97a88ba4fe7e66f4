import { app } from '@azure/functions';
import { authorized, jsonResponse, apiAuthLevel } from './http-common';

/**
 * GET /api/execution-slots — the declared slots, what each tier holds and could take, who holds and who
 * waits. A deployment-wide view of capacity like the pools', so it takes their action (`pools:read`).
 */
export const getExecutionSlotsHandler = authorized('pools:read', async (_request, _context, caller) =>
  jsonResponse(200, await caller.getExecutionSlots()),
);

app.http('getExecutionSlots', {
  route: 'execution-slots',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getExecutionSlotsHandler,
});
