import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, withProblems } from './http-common';
import { getApp } from './runtime';

/** GET /api/execution-slots — the declared slots, what each tier holds and could take, who holds and who waits. */
export async function getExecutionSlotsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).getExecutionSlots()),
  );
}

app.http('getExecutionSlots', {
  route: 'execution-slots',
  methods: ['GET'],
  authLevel: 'function',
  handler: getExecutionSlotsHandler,
});
