import { app } from '@azure/functions';
import { authorized, jsonResponse, limitedBody, readJsonBody, apiAuthLevel } from './http-common';

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

/** PUT /api/orgs/{orgId}/readiness — what the organisation's IT admins report of its prerequisite checks. */
export const putReadinessHandler = authorized('readiness:write', async (request, _context, caller) =>
  jsonResponse(200, await caller.putReadiness(request.params.orgId, await readJsonBody(request))),
);

/** GET /api/orgs/{orgId}/readiness. */
export const getReadinessHandler = authorized('readiness:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.getReadiness(request.params.orgId)),
);

/** POST /api/orgs/import — the registry as a CSV, streamed and validated row by row (Triage.Admin). */
export const importOrgsHandler = authorized('orgs:import', async (request, _context, caller) => {
  const body = (request.body ?? (async function* () {})()) as AsyncIterable<Uint8Array>;
  return jsonResponse(200, await caller.importOrgs(limitedBody(request, body)));
});

// The role decides who may write the registry; the function key is the outer gate for every route.
app.http('upsertOrg', {
  route: 'orgs/{orgId}',
  methods: ['PUT'],
  authLevel: apiAuthLevel,
  handler: upsertOrgHandler,
});
app.http('getOrg', {
  route: 'orgs/{orgId}',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getOrgHandler,
});
app.http('getOrgAudit', {
  route: 'orgs/{orgId}/audit',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getOrgAuditHandler,
});
app.http('putReadiness', {
  route: 'orgs/{orgId}/readiness',
  methods: ['PUT'],
  authLevel: apiAuthLevel,
  handler: putReadinessHandler,
});
app.http('getReadiness', {
  route: 'orgs/{orgId}/readiness',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getReadinessHandler,
});
app.http('importOrgs', {
  route: 'orgs/import',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: importOrgsHandler,
});
