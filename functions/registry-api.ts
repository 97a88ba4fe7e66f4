import { app } from '@azure/functions';
import { authorized, jsonResponse, queryOf, apiAuthLevel } from './http-common';

/** GET /api/orgs?tier=&ready=&limit=&continuationToken= — the registry, paged (admins and operators). */
export const listOrgsHandler = authorized('orgs:list', async (request, _context, caller) =>
  jsonResponse(200, await caller.listOrgs(queryOf(request))),
);

app.http('listOrgs', { route: 'orgs', methods: ['GET'], authLevel: apiAuthLevel, handler: listOrgsHandler });
