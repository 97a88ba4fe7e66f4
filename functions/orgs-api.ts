import { app } from '@azure/functions';
import { authorized, jsonResponse, readJsonBody } from './http-common';

/** PUT /api/orgs/{orgId} — registers an organisation and its verified tier (Triage.Admin), audited. */
export const upsertOrgHandler = authorized('orgs:write', async (request, _context, caller) => {
  const body = await readJsonBody(request);
  return jsonResponse(200, await caller.upsertOrg(request.params.orgId, body));
});

/** GET /api/orgs/{orgId} — an unregistered organisation answers at the default tier. */
export const getOrgHandler = authorized('orgs:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.getOrg(request.params.orgId)),
);

/** GET /api/orgs/{orgId}/audit — who changed the organisation's tier, when, from what to what, and why. */
export const getOrgAuditHandler = authorized('orgs:audit', async (request, _context, caller) =>
  jsonResponse(200, await caller.getOrgAudit(request.params.orgId)),
);

// The role decides who may write the registry; the function key is the outer gate for every route.
app.http('upsertOrg', {
  route: 'orgs/{orgId}',
  methods: ['PUT'],
  authLevel: 'function',
  handler: upsertOrgHandler,
});
app.http('getOrg', {
  route: 'orgs/{orgId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: getOrgHandler,
});
app.http('getOrgAudit', {
  route: 'orgs/{orgId}/audit',
  methods: ['GET'],
  authLevel: 'function',
  handler: getOrgAuditHandler,
});
