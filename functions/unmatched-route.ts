import { app, type HttpMethod, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { problemResponse } from './http-common';
import { openApiDocument } from './openapi';
import { problem } from './problem-details';

const allMethods: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** Each documented path as a pattern (`{id}` is one segment) with the methods it takes. */
function documentedRoutes(): Array<{ pattern: RegExp; methods: string[] }> {
  const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).map(([path, operations]) => ({
    pattern: new RegExp(
      `^${path
        .split('/')
        .map((segment) =>
          /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
        )
        .join('/')}$`,
      'i',
    ),
    methods: Object.keys(operations)
      .map((m) => m.toUpperCase())
      .sort(),
  }));
}
let routes: ReturnType<typeof documentedRoutes> | undefined;

/**
 * What no other Function matched: a path the API does not have (404) or a method its route does not take
 * (405 with `Allow`), as problem documents like every other error — the host's own answers have no body.
 * The OpenAPI document is the list of routes (a test keeps it equal to the registrations).
 */
export async function unmatchedRouteHandler(request: HttpRequest): Promise<HttpResponseInit> {
  routes ??= documentedRoutes();
  const path = `/${request.params.path ?? ''}`.replace(/\/+$/, '') || '/';
  const instance = `/api${path === '/' ? '' : path}`.slice(0, 512);
  const route = routes.find((r) => r.pattern.test(path));
  if (!route) {
    return problemResponse(problem(404, 'no such route: see GET /api/openapi.json', { instance }));
  }
  const allow = route.methods.join(', ');
  return problemResponse(
    problem(405, `${request.method} is not one of this route's methods (${allow})`, { instance }),
    { Allow: allow },
  );
}

// The lowest precedence of all routes: the Functions host sorts its routes static segment before parameter
// (the HTTP extension's WebJobsRouteBuilder), and every other route of the app starts with a static segment,
// so this catch-all only sees what none of them matched (the local host sorts the same way: local/host/routes.ts).
app.http('unmatchedRoute', {
  route: '{*path}',
  methods: allMethods,
  authLevel: 'anonymous',
  handler: unmatchedRouteHandler,
});
