import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ensureError } from '../shared/domain/errors';
import { jsonResponse } from './http-common';
import { getApp } from './runtime';

/** GET /api/health — liveness plus a check of Storage and Service Bus; 503 when a dependency fails. */
export async function healthHandler(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const report = await (await getApp()).health();
    return jsonResponse(report.status === 'ok' ? 200 : 503, report);
  } catch (err: unknown) {
    context.error(`health: ${ensureError(err).message}`);
    return jsonResponse(503, { status: 'unavailable', error: ensureError(err).message });
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: healthHandler });
