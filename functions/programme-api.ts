import { app } from '@azure/functions';
import { authorized, jsonResponse, readJsonBody, apiAuthLevel } from './http-common';

/** PUT /api/calendar — the programme's capacity calendar (Triage.Admin): 201 when created, 200 when changed. */
export const putCalendarHandler = authorized('calendar:write', async (request, _context, caller) => {
  const { calendar, created } = await caller.putCalendar(await readJsonBody(request));
  return jsonResponse(created ? 201 : 200, calendar);
});

/** GET /api/calendar. */
export const getCalendarHandler = authorized('calendar:read', async (_request, _context, caller) =>
  jsonResponse(200, await caller.getCalendar()),
);

/** GET /api/plan — plan versus actual, the burn-down a page draws. */
export const getPlanHandler = authorized('plan:read', async (_request, _context, caller) =>
  jsonResponse(200, await caller.getPlan()),
);

/** POST /api/plan/what-if — the plan under other caps, holidays, readiness or a surge; changes nothing. */
export const planWhatIfHandler = authorized('plan:what-if', async (request, _context, caller) =>
  jsonResponse(200, await caller.planWhatIf(await readJsonBody(request))),
);

app.http('putCalendar', {
  route: 'calendar',
  methods: ['PUT'],
  authLevel: apiAuthLevel,
  handler: putCalendarHandler,
});
app.http('getCalendar', {
  route: 'calendar',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: getCalendarHandler,
});
app.http('getPlan', { route: 'plan', methods: ['GET'], authLevel: apiAuthLevel, handler: getPlanHandler });
app.http('planWhatIf', {
  route: 'plan/what-if',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: planWhatIfHandler,
});
