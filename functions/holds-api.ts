import { app, type HttpHandler } from '@azure/functions';
import type { HoldScope } from '../shared/app/index';
import { authorized, jsonResponse, readJsonBody, apiAuthLevel } from './http-common';

/** The path parameter that names a hold's target, per scope. */
const targetParam: Record<HoldScope, 'tier' | 'orgId'> = { tier: 'tier', org: 'orgId' };

/** POST /api/tiers/{tier}/hold, POST /api/orgs/{orgId}/hold — body `{ "reason": "…" }`: 201 placed, 200 changed. */
export function placeHoldHandler(scope: HoldScope): HttpHandler {
  return authorized('holds:write', async (request, _context, caller) => {
    const target = request.params[targetParam[scope]];
    const { report, created } = await caller.placeHold(scope, target, await readJsonBody(request));
    return jsonResponse(created ? 201 : 200, report);
  });
}

/** POST /api/tiers/{tier}/resume, POST /api/orgs/{orgId}/resume — lifts the hold and sends its parked work. */
export function resumeHoldHandler(scope: HoldScope): HttpHandler {
  return authorized('holds:write', async (request, _context, caller) =>
    jsonResponse(200, await caller.resumeHold(scope, request.params[targetParam[scope]])),
  );
}

/** GET /api/tiers/{tier}/hold, GET /api/orgs/{orgId}/hold — the drain report. */
export function getHoldHandler(scope: HoldScope): HttpHandler {
  return authorized('holds:read', async (request, _context, caller) =>
    jsonResponse(200, await caller.getHold(scope, request.params[targetParam[scope]])),
  );
}

/** GET /api/holds — every hold with its drain report. */
export const listHoldsHandler = authorized('holds:read', async (_request, _context, caller) =>
  jsonResponse(200, await caller.listHolds()),
);

export const placeTierHoldHandler = placeHoldHandler('tier');
export const resumeTierHandler = resumeHoldHandler('tier');
export const getTierHoldHandler = getHoldHandler('tier');
export const placeOrgHoldHandler = placeHoldHandler('org');
export const resumeOrgHandler = resumeHoldHandler('org');
export const getOrgHoldHandler = getHoldHandler('org');

const fn = { authLevel: apiAuthLevel } as const;
app.http('placeTierHold', {
  ...fn,
  route: 'tiers/{tier}/hold',
  methods: ['POST'],
  handler: placeTierHoldHandler,
});
app.http('getTierHold', { ...fn, route: 'tiers/{tier}/hold', methods: ['GET'], handler: getTierHoldHandler });
app.http('resumeTier', {
  ...fn,
  route: 'tiers/{tier}/resume',
  methods: ['POST'],
  handler: resumeTierHandler,
});
app.http('placeOrgHold', {
  ...fn,
  route: 'orgs/{orgId}/hold',
  methods: ['POST'],
  handler: placeOrgHoldHandler,
});
app.http('getOrgHold', { ...fn, route: 'orgs/{orgId}/hold', methods: ['GET'], handler: getOrgHoldHandler });
app.http('resumeOrg', { ...fn, route: 'orgs/{orgId}/resume', methods: ['POST'], handler: resumeOrgHandler });
app.http('listHolds', { ...fn, route: 'holds', methods: ['GET'], handler: listHoldsHandler });
