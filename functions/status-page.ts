import {
  app,
  type HttpHandler,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { settingNames } from '../shared/config';
import {
  apiAuthLevel,
  authorized,
  jsonResponse,
  problem,
  problemResponse,
  withProblems,
} from './http-common';
import { getApp } from './runtime';

/** Built by `npm run build` (esbuild bundles the script with Chart.js): dist/status-page/. */
const assetsDirectory = path.join(__dirname, '..', 'status-page');
const assetTypes: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
/**
 * The page and its data need the function key unless the deployment allows anonymous reading (or wants no
 * function keys at all). An HTTP route's auth level is fixed when it is registered, so the setting is read then.
 */
const pageAuthLevel = process.env[settingNames.statusPageAnonymous] === 'true' ? 'anonymous' : apiAuthLevel;
const noStore = { 'Cache-Control': 'no-store' };

/**
 * GET /api/status — the operator's live page: static HTML with no data in it (a browser cannot send a
 * bearer token when it navigates), behind the function key unless the deployment allows anyone; the
 * page's own calls carry the token (`#token=`) and the key (`?code=`) it was opened with.
 */
export async function statusPageHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => ({
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...noStore },
    body: await readFile(path.join(assetsDirectory, 'index.html'), 'utf8'),
  }));
}

/**
 * GET /api/status/data — per tier and per pool, as the page draws it: for admins and operators (the page
 * sends the bearer token it was opened with), or for anyone when the deployment allows it.
 */
export const statusDataHandler: HttpHandler =
  pageAuthLevel === 'anonymous'
    ? (request, context) =>
        withProblems(request, context, async () =>
          jsonResponse(200, await (await getApp()).getSchedulerStatus(), noStore),
        )
    : authorized('status:read', async (_request, _context, caller) =>
        jsonResponse(200, await caller.getSchedulerStatus(), noStore),
      );

/** GET /api/status/assets/{name} — the page's script and style sheet (static, no data: anonymous). */
export async function statusAssetHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const name = request.params.name ?? '';
    const type = assetTypes[name];
    if (!type) return problemResponse(problem(404, `no asset "${name}"`));
    return {
      status: 200,
      headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=300' },
      body: await readFile(path.join(assetsDirectory, name)),
    };
  });
}

app.http('statusPage', {
  route: 'status',
  methods: ['GET'],
  authLevel: pageAuthLevel,
  handler: statusPageHandler,
});
app.http('statusData', {
  route: 'status/data',
  methods: ['GET'],
  authLevel: pageAuthLevel,
  handler: statusDataHandler,
});
app.http('statusAsset', {
  route: 'status/assets/{name}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: statusAssetHandler,
});
