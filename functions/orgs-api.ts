import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, limitedBody, readJsonBody, withProblems } from './http-common';
import { getApp } from './runtime';

/**
 * Who made a registry change, for its audit entry. Behind the admin key the caller is "the admin key";
 * a caller identity replaces it once requests carry one.
 */
function actorOf(_request: HttpRequest): string {
  return 'admin key';
}

/** PUT /api/orgs/{orgId} — registers an organisation and its verified tier (admin only), audited. */
export async function upsertOrgHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const body = await readJsonBody(request);
    const org = await (await getApp()).upsertOrg(request.params.orgId, body, { actor: actorOf(request) });
    return jsonResponse(200, org);
  });
}

/** GET /api/orgs/{orgId} — an unregistered organisation answers at the default tier. */
export async function getOrgHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getOrg(request.params.orgId)),
  );
}

/** GET /api/orgs/{orgId}/audit — who changed the organisation's tier, when, from what to what, and why. */
export async function getOrgAuditHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getOrgAudit(request.params.orgId)),
  );
}

/** PUT /api/orgs/{orgId}/readiness — what the organisation's IT admins report of its prerequisite checks. */
export async function putReadinessHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).putReadiness(request.params.orgId, await readJsonBody(request))),
  );
}

/** GET /api/orgs/{orgId}/readiness. */
export async function getReadinessHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getReadiness(request.params.orgId)),
  );
}

/** POST /api/orgs/import — the registry as a CSV, streamed and validated row by row (admin). */
export async function importOrgsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const body = (request.body ?? (async function* () {})()) as AsyncIterable<Uint8Array>;
    const result = await (await getApp()).importOrgs(limitedBody(request, body), { actor: actorOf(request) });
    return jsonResponse(200, result);
  });
}

app.http('upsertOrg', {
  route: 'orgs/{orgId}',
  methods: ['PUT'],
  authLevel: 'admin',
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
  authLevel: 'admin',
  handler: getOrgAuditHandler,
});
app.http('putReadiness', {
  route: 'orgs/{orgId}/readiness',
  methods: ['PUT'],
  authLevel: 'function',
  handler: putReadinessHandler,
});
app.http('getReadiness', {
  route: 'orgs/{orgId}/readiness',
  methods: ['GET'],
  authLevel: 'function',
  handler: getReadinessHandler,
});
app.http('importOrgs', {
  route: 'orgs/import',
  methods: ['POST'],
  authLevel: 'admin',
  handler: importOrgsHandler,
});
