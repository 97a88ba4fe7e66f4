import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, queryOf, withProblems } from './http-common';
import { getApp } from './runtime';

/** GET /api/orgs?tier=&ready=&limit=&continuationToken= — the registry, paged. */
export async function listOrgsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).listOrgs(queryOf(request))),
  );
}

app.http('listOrgs', { route: 'orgs', methods: ['GET'], authLevel: 'function', handler: listOrgsHandler });
