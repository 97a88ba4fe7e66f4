import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ensureError } from '../shared/domain/errors';
import { jsonResponse } from './http-common';
import { retryAfterSeconds } from './problem-details';
import { getApp } from './runtime';

/**
 * GET /api/health — liveness plus a check of Storage and Service Bus; 503 when a dependency fails. The
 * route is anonymous, so it says which check failed but never why: the error text goes to the log.
 */
export async function healthHandler(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const retry = { 'Retry-After': String(retryAfterSeconds) };
  try {
    const report = await (await getApp()).health();
    const checks: Record<string, { ok: boolean }> = {};
    for (const [name, check] of Object.entries(report.checks)) {
      if (check.error) context.warn(`health: ${name} failed: ${check.error}`);
      checks[name] = { ok: check.ok };
    }
    return report.status === 'ok'
      ? jsonResponse(200, { status: report.status, checks })
      : jsonResponse(503, { status: report.status, checks }, retry);
  } catch (err: unknown) {
    context.error(`health: ${ensureError(err).message}`);
    return jsonResponse(503, { status: 'unavailable' }, retry);
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: healthHandler });
