import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse, readJsonBody, withProblems } from './http-common';
import { getApp } from './runtime';

/** PUT /api/calendar — the programme's capacity calendar (admin): 201 when created, 200 when changed. */
export async function putCalendarHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => {
    const { calendar, created } = await (await getApp()).putCalendar(await readJsonBody(request));
    return jsonResponse(created ? 201 : 200, calendar);
  });
}

/** GET /api/calendar. */
export async function getCalendarHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => jsonResponse(200, await (await getApp()).getCalendar()));
}

/** GET /api/plan — plan versus actual, the burn-down a page draws. */
export async function getPlanHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () => jsonResponse(200, await (await getApp()).getPlan()));
}

/** POST /api/plan/what-if — the plan under other caps, holidays, readiness or a surge; changes nothing. */
export async function planWhatIfHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return withProblems(request, context, async () =>
    jsonResponse(200, await (await getApp()).planWhatIf(await readJsonBody(request))),
  );
}

app.http('putCalendar', {
  route: 'calendar',
  methods: ['PUT'],
  authLevel: 'admin',
  handler: putCalendarHandler,
});
app.http('getCalendar', {
  route: 'calendar',
  methods: ['GET'],
  authLevel: 'function',
  handler: getCalendarHandler,
});
app.http('getPlan', { route: 'plan', methods: ['GET'], authLevel: 'function', handler: getPlanHandler });
app.http('planWhatIf', {
  route: 'plan/what-if',
  methods: ['POST'],
  authLevel: 'function',
  handler: planWhatIfHandler,
});
