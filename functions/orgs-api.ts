import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, readJsonBody, withProblems } from './http-common';
import { getApp } from './runtime';

/** PUT /api/orgs/{orgId} — registers an organisation and its verified tier (admin only). */
export async function upsertOrgHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const body = await readJsonBody(request);
    return jsonResponse(200, await (await getApp()).upsertOrg(request.params.orgId, body));
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
