import * as functions from '@azure/functions';
import { HttpRequest, InvocationContext, type HttpHandler, type HttpResponseInit } from '@azure/functions';
import * as runtime from '../../../functions/runtime';
import type * as Http from '../../../functions/http-common';
import type * as OpenApi from '../../../functions/openapi';
import { actionPolicies, rolesFor } from '../../../shared/domain/identity/authorization';
import { roles, type Role } from '../../../shared/domain/identity/principal';
import { configTrusting, startAuthFixture, type AuthFixture } from '../../support/auth-fixture';
import { badTokenKinds, badTokens, type BadTokenKind } from '../../support/bad-tokens';
import { createTestApp, ScriptedExecutor } from '../../support/in-memory-ports';
import { provision } from '../app/helpers';

/**
 * The role × route matrix: every HTTP Function the app registers, called as each kind of caller, gets
 * exactly the answer this table documents (and the README's security table states). The callers: each
 * role, a requester of the organisation concerned and one of another, a principal with no role, no token,
 * and every kind of bad token. Then the same for EasyAuth's forwarded principal.
 */
type Caller = 'admin' | 'operator' | 'requester' | 'other requester' | 'no role';
type Expected = Record<Caller, number>;

const ORG = 'org-a';
const calendar = {
  timeZone: 'Europe/London',
  start: '2027-01-04',
  deadline: '2027-03-31',
  caps: { weekday: { mailboxes: 1000, bytes: 1e12 }, weekend: { mailboxes: 0, bytes: 0 } },
};
const OTHER = 'org-b';

/** The requests of org-a in each world: failed (retryable), still queued (cancellable), holding capacity (releasable). */
interface WorldIds {
  failedId: string;
  queuedId: string;
  holdingId: string;
}

/** What each route is called with, against a world where org-a has those two requests and a member. */
interface RouteCall {
  query?: string;
  params?: (ids: WorldIds) => Record<string, string>;
  body?: { json: unknown } | { csv: string };
}

const calls: Record<string, RouteCall> = {
  submitRequest: { body: { json: provision(ORG) } },
  listRequests: { query: `orgId=${ORG}` },
  getRequest: { params: ({ failedId }) => ({ id: failedId }) },
  readDuplicates: { params: ({ failedId }) => ({ id: failedId }) },
  cancelRequest: { params: ({ queuedId }) => ({ id: queuedId }) },
  retryRequest: { params: ({ failedId }) => ({ id: failedId }) },
  releaseRequest: { params: ({ holdingId }) => ({ id: holdingId }) },
  importInventory: { query: `orgId=${ORG}`, body: { csv: 'EmailAddress\na@a.example\n' } },
  upsertOrg: {
    params: () => ({ orgId: ORG }),
    body: { json: { name: 'A', sector: 'health', tier: 'health', evidence: 'ODS code RX1' } },
  },
  getOrg: { params: () => ({ orgId: ORG }) },
  getOrgAudit: { params: () => ({ orgId: ORG }) },
  putMember: { params: () => ({ orgId: ORG, principalId: 'new-member' }) },
  deleteMember: { params: () => ({ orgId: ORG, principalId: 'member-1' }) },
  listMembers: { params: () => ({ orgId: ORG }) },
  putPool: {
    params: () => ({ poolId: 'gpu-uk' }),
    body: { json: { resourceType: 'gpu', region: 'uksouth', capacity: 4 } },
  },
  getPool: { params: () => ({ poolId: 'vm-uk' }) },
  listPools: {},
  getPoolQueue: { params: () => ({ poolId: 'vm-uk' }) },
  getExecutionSlots: {},
  putReadiness: {
    params: () => ({ orgId: ORG }),
    body: { json: { checks: [{ name: 'licences', status: 'pass' }] } },
  },
  getReadiness: { params: () => ({ orgId: ORG }) },
  importOrgs: { body: { csv: 'orgId,name,sector,tier,evidence\nnew-org,New,retail,standard,\n' } },
  putCalendar: { body: { json: calendar } },
  getCalendar: {},
  getPlan: {},
  planWhatIf: { body: { json: {} } },
  listRequestItems: { query: 'status=failed', params: ({ failedId }) => ({ id: failedId }) },
  getRequestReport: { params: ({ failedId }) => ({ id: failedId }) },
  listOrgs: {},
  statusData: {},
  statusPage: {},
  statusAsset: { params: () => ({ name: 'style.css' }) },
  listDeadLetters: {},
  placeTierHold: { params: () => ({ tier: 'standard' }), body: { json: { reason: 'back-end upgrade' } } },
  getTierHold: { params: () => ({ tier: 'standard' }) },
  resumeTier: { params: () => ({ tier: 'standard' }) },
  placeOrgHold: { params: () => ({ orgId: ORG }), body: { json: { reason: 'licences lapsed' } } },
  getOrgHold: { params: () => ({ orgId: ORG }) },
  resumeOrg: { params: () => ({ orgId: ORG }) },
  listHolds: {},
  health: {},
  openapi: {},
  unmatchedRoute: { params: () => ({ path: 'no/such/route' }) },
};

// prettier-ignore
const expected: Record<string, Expected> = {
  //                admin  operator  requester  other requester  no role
  submitRequest:   { admin: 403, operator: 403, requester: 202, 'other requester': 403, 'no role': 403 },
  listRequests:    { admin: 403, operator: 200, requester: 200, 'other requester': 403, 'no role': 403 },
  getRequest:      { admin: 403, operator: 200, requester: 200, 'other requester': 404, 'no role': 403 },
  readDuplicates:  { admin: 403, operator: 200, requester: 200, 'other requester': 404, 'no role': 403 },
  cancelRequest:   { admin: 403, operator: 200, requester: 200, 'other requester': 404, 'no role': 403 },
  retryRequest:    { admin: 403, operator: 202, requester: 202, 'other requester': 404, 'no role': 403 },
  releaseRequest:  { admin: 403, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  importInventory: { admin: 403, operator: 403, requester: 201, 'other requester': 403, 'no role': 403 },
  upsertOrg:       { admin: 200, operator: 403, requester: 403, 'other requester': 403, 'no role': 403 },
  getOrg:          { admin: 200, operator: 200, requester: 200, 'other requester': 403, 'no role': 403 },
  getOrgAudit:     { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  putMember:       { admin: 200, operator: 403, requester: 403, 'other requester': 403, 'no role': 403 },
  deleteMember:    { admin: 204, operator: 403, requester: 403, 'other requester': 403, 'no role': 403 },
  listMembers:     { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  putPool:         { admin: 201, operator: 403, requester: 403, 'other requester': 403, 'no role': 403 },
  getPool:         { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  listPools:       { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  getPoolQueue:    { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  getExecutionSlots: { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  putReadiness:    { admin: 403, operator: 403, requester: 200, 'other requester': 403, 'no role': 403 },
  getReadiness:    { admin: 200, operator: 200, requester: 200, 'other requester': 403, 'no role': 403 },
  importOrgs:      { admin: 200, operator: 403, requester: 403, 'other requester': 403, 'no role': 403 },
  putCalendar:     { admin: 200, operator: 403, requester: 403, 'other requester': 403, 'no role': 403 },
  getCalendar:     { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  getPlan:         { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  planWhatIf:      { admin: 403, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  listRequestItems:{ admin: 403, operator: 200, requester: 200, 'other requester': 404, 'no role': 403 },
  // No report in this world (its requests never finished through the report Function): 404 once allowed.
  getRequestReport:{ admin: 403, operator: 404, requester: 404, 'other requester': 404, 'no role': 403 },
  listOrgs:        { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  statusData:      { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  // The status page's HTML and assets hold no data: the function key (or nothing) gates them, no token.
  statusPage:      { admin: 200, operator: 200, requester: 200, 'other requester': 200, 'no role': 200 },
  statusAsset:     { admin: 200, operator: 200, requester: 200, 'other requester': 200, 'no role': 200 },
  listDeadLetters: { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  placeTierHold:   { admin: 201, operator: 201, requester: 403, 'other requester': 403, 'no role': 403 },
  getTierHold:     { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  // Nothing is held in this world: 404 once allowed.
  resumeTier:      { admin: 404, operator: 404, requester: 403, 'other requester': 403, 'no role': 403 },
  placeOrgHold:    { admin: 201, operator: 201, requester: 403, 'other requester': 403, 'no role': 403 },
  getOrgHold:      { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  resumeOrg:       { admin: 404, operator: 404, requester: 403, 'other requester': 403, 'no role': 403 },
  listHolds:       { admin: 200, operator: 200, requester: 403, 'other requester': 403, 'no role': 403 },
  // Anonymous (liveness and the API description): no principal is asked for.
  health:          { admin: 200, operator: 200, requester: 200, 'other requester': 200, 'no role': 200 },
  openapi:         { admin: 200, operator: 200, requester: 200, 'other requester': 200, 'no role': 200 },
  // The catch-all for paths no route has: a problem document for everyone, token or not.
  unmatchedRoute:  { admin: 404, operator: 404, requester: 404, 'other requester': 404, 'no role': 404 },
};
const anonymous = new Set(['health', 'openapi', 'statusAsset', 'unmatchedRoute']);
/** Behind the function key only (static, no data): no principal is asked for, the key is the gate. */
const keyOnly = new Set(['statusPage']);
/** Not a route of the API (so not in its OpenAPI document): what answers when no route matches. */
const undocumented = new Set(['unmatchedRoute']);
/** Actions on the deployment itself: audited under no organisation. */
const deploymentWide = new Set(['pools:write', 'orgs:import', 'calendar:write']);
/** Routes of a per-organisation-or-not action that act on the deployment (a tier's hold). */
const deploymentWideRoutes = new Set(['placeTierHold', 'resumeTier']);

const callerClaims: Record<Caller, { roles: Role[]; orgs: string[]; subject: string }> = {
  admin: { roles: [roles.admin], orgs: [], subject: 'adam' },
  operator: { roles: [roles.operator], orgs: [], subject: 'olga' },
  requester: { roles: [roles.requester], orgs: [ORG], subject: 'alice' },
  'other requester': { roles: [roles.requester], orgs: [OTHER], subject: 'bob' },
  'no role': { roles: [], orgs: [ORG], subject: 'nemo' },
};

// Every HTTP Function the app registers, captured as the library receives them.
interface Registration {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
  handler: HttpHandler;
}
const registrations: Registration[] = [];
const quiet = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
jest.spyOn(functions.app, 'http').mockImplementation((name, options) => {
  registrations.push({
    name,
    route: options.route ?? name,
    methods: options.methods ?? ['GET', 'POST'],
    authLevel: options.authLevel ?? 'anonymous',
    handler: options.handler,
  });
});
jest.requireActual('../../../functions/index');
const http = jest.requireActual<typeof Http>('../../../functions/http-common');
const openApi = jest.requireActual<typeof OpenApi>('../../../functions/openapi');
quiet.mockRestore();

let auth: AuthFixture;
const tokens = {} as Record<Caller, string>;
let bad: Record<BadTokenKind, string>;
beforeAll(async () => {
  auth = await startAuthFixture();
  for (const caller of Object.keys(callerClaims) as Caller[]) {
    tokens[caller] = await auth.issuer.mint(callerClaims[caller]);
  }
  bad = await badTokens(auth.issuer, [ORG, OTHER]);
});
afterAll(async () => auth?.close());
afterEach(() => jest.restoreAllMocks());

/** A fresh world: org-a has a failed provisioning, one holding pool capacity, a queued one, and a member. */
async function world(mode: 'token' | 'easyauth') {
  const t = createTestApp({
    tokens: auth.verifier,
    settings: { auth: { mode, orgsClaim: 'triage_orgs' } },
    executor: new ScriptedExecutor((task) =>
      (task.payload.resource as { type: string }).type === 'vm'
        ? { ok: true }
        : { ok: false, retryable: false, reason: 'no capacity' },
    ),
  });
  await t.app.upsertOrg(ORG, { name: 'A', sector: 'retail', tier: 'standard' });
  await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 10 });
  await t.app.putCalendar(calendar);
  const seat = { kind: 'provision', orgId: ORG, resource: { type: 'seat', quantity: 1, region: 'uksouth' } };
  const { request: failed } = await t.app.submitRequest(seat);
  const { request: holding } = await t.app.submitRequest({
    kind: 'provision',
    orgId: ORG,
    resource: { type: 'vm', quantity: 2, region: 'uksouth' },
  });
  await t.drain();
  const { request: queued } = await t.app.submitRequest(seat);
  await t.ports.memberships.put({ orgId: ORG, principalId: 'member-1', addedAt: 'x', addedBy: 'adam' });
  t.ports.audit.entries = [];
  jest.spyOn(runtime, 'getApp').mockResolvedValue(t.app);
  jest.spyOn(runtime, 'getConfig').mockReturnValue(configTrusting(auth.issuer));
  return { t, ids: { failedId: failed.id, queuedId: queued.id, holdingId: holding.id } };
}

function httpRequest(registration: Registration, ids: WorldIds, headers: Record<string, string>) {
  const call = calls[registration.name]!;
  const params = call.params?.(ids) ?? {};
  const path = registration.route.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? name);
  const body = call.body;
  return new HttpRequest({
    method: registration.methods[0]!,
    url: `http://localhost/api/${path}${call.query ? `?${call.query}` : ''}`,
    params,
    headers: {
      ...headers,
      ...(body && 'json' in body ? { 'content-type': 'application/json' } : {}),
      ...(body && 'csv' in body ? { 'content-type': 'text/csv' } : {}),
    },
    ...(body ? { body: { string: 'json' in body ? JSON.stringify(body.json) : body.csv } } : {}),
  });
}

const context = () => new InvocationContext({ functionName: 'matrix', logHandler: () => undefined });

async function invoke(
  registration: Registration,
  mode: 'token' | 'easyauth',
  headers: Record<string, string>,
) {
  const { t, ids } = await world(mode);
  const statuses = async () =>
    Promise.all(
      [ids.failedId, ids.queuedId, ids.holdingId].map(async (id) => (await t.app.getRequest(id)).status),
    );
  const before = { sent: t.ports.publisher.sent.length, statuses: await statuses() };
  const response: HttpResponseInit = await registration.handler(
    httpRequest(registration, ids, headers),
    context(),
  );
  return { t, statuses, before, response, status: response.status ?? 200 };
}

const header = (r: HttpResponseInit, name: string) =>
  (r.headers as Record<string, string> | undefined)?.[name];

describe('the role × route matrix', () => {
  test('every registered HTTP Function has a row, and no row names a Function that is gone', () => {
    expect(registrations.map((r) => r.name).sort()).toEqual(Object.keys(expected).sort());
    for (const r of registrations) expect(r.authLevel).toBe(anonymous.has(r.name) ? 'anonymous' : 'function');
  });

  const cases = Object.keys(expected).flatMap((name) =>
    (Object.keys(callerClaims) as Caller[]).map((caller) => [name, caller] as const),
  );

  test.each(cases)('%s as %s (bearer token)', async (name, caller) => {
    const registration = registrations.find((r) => r.name === name)!;
    const { t, statuses, before, response, status } = await invoke(registration, 'token', {
      authorization: `Bearer ${tokens[caller]}`,
    });
    expect({ name, caller, status }).toEqual({ name, caller, status: expected[name]![caller] });
    const action = http.declaredAction(registration.handler);
    if (status >= 400) {
      // Refused: a problem document, and nothing changed.
      expect(header(response, 'Content-Type')).toBe('application/problem+json');
      expect(t.ports.audit.entries).toEqual([]);
      expect(t.ports.publisher.sent.length).toBe(before.sent);
      expect(await statuses()).toEqual(before.statuses);
    } else if (action && actionPolicies[action].audited) {
      // Allowed to change something: audited with the caller (pools are the deployment's, not an org's).
      expect(t.ports.audit.entries).toEqual([
        expect.objectContaining({
          action,
          principalId: callerClaims[caller].subject,
          ...(deploymentWide.has(action) || deploymentWideRoutes.has(name) ? {} : { orgId: ORG }),
        }),
      ]);
    } else {
      expect(t.ports.audit.entries).toEqual([]);
    }
  });

  const refusals = Object.keys(expected).flatMap((name) =>
    ['no token', 'not a bearer', ...badTokenKinds].map((kind) => [name, kind] as const),
  );

  test.each(refusals)(
    '%s with %s: 401 with WWW-Authenticate (anonymous routes: as always)',
    async (name, kind) => {
      const registration = registrations.find((r) => r.name === name)!;
      const headers: Record<string, string> =
        kind === 'no token'
          ? {}
          : kind === 'not a bearer'
            ? { authorization: 'Basic YWRtaW46YWRtaW4=' }
            : { authorization: `Bearer ${bad[kind as BadTokenKind]}` };
      const { t, response, status } = await invoke(registration, 'token', headers);
      if (anonymous.has(name) || keyOnly.has(name)) {
        expect(status).toBe(expected[name]!['no role']);
        return;
      }
      expect({ name, kind, status }).toEqual({ name, kind, status: 401 });
      expect(header(response, 'Content-Type')).toBe('application/problem+json');
      expect(header(response, 'WWW-Authenticate')).toEqual(
        kind === 'no token'
          ? 'Bearer realm="triage"'
          : expect.stringMatching(
              /^Bearer realm="triage", error="invalid_token", error_description="[^"]+"$/,
            ),
      );
      expect(JSON.parse(String(response.body))).toMatchObject({ status: 401, code: 'unauthenticated' });
      expect(t.ports.audit.entries).toEqual([]);
    },
  );
});

describe('the same matrix behind EasyAuth (x-ms-client-principal)', () => {
  const easyAuth = (caller: Caller) => {
    const { roles: r, orgs, subject } = callerClaims[caller];
    const claims = [
      { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: subject },
      ...r.map((val) => ({ typ: 'roles', val })),
      ...orgs.map((val) => ({ typ: 'triage_orgs', val })),
    ];
    return Buffer.from(JSON.stringify({ auth_typ: 'aad', role_typ: 'roles', claims })).toString('base64');
  };
  const cases = Object.keys(expected).flatMap((name) =>
    (Object.keys(callerClaims) as Caller[]).map((caller) => [name, caller] as const),
  );

  test.each(cases)('%s as %s', async (name, caller) => {
    const registration = registrations.find((r) => r.name === name)!;
    const { status } = await invoke(registration, 'easyauth', { 'x-ms-client-principal': easyAuth(caller) });
    expect({ name, caller, status }).toEqual({ name, caller, status: expected[name]![caller] });
  });

  test.each(Object.keys(expected).filter((n) => !anonymous.has(n) && !keyOnly.has(n)))(
    '%s: no forwarded principal, or only a bearer token, is 401',
    async (name) => {
      const registration = registrations.find((r) => r.name === name)!;
      expect((await invoke(registration, 'easyauth', {})).status).toBe(401);
      expect(
        (await invoke(registration, 'easyauth', { authorization: `Bearer ${tokens.admin}` })).status,
      ).toBe(401);
    },
  );
});

describe('OpenAPI declares the security scheme and, per route, the roles', () => {
  test('every authenticated route lists exactly the roles of its declared action; anonymous ones none', () => {
    const document = openApi.openApiDocument() as {
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
      paths: Record<string, Record<string, { security?: unknown; 'x-triage-action'?: string }>>;
    };
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const registration of registrations.filter((r) => !undocumented.has(r.name))) {
      const operation = document.paths[`/${registration.route}`]?.[registration.methods[0]!.toLowerCase()];
      expect({ name: registration.name, documented: operation !== undefined }).toEqual({
        name: registration.name,
        documented: true,
      });
      const action = http.declaredAction(registration.handler);
      if (anonymous.has(registration.name)) {
        expect(action).toBeUndefined();
        expect(operation!.security).toEqual([]);
        continue;
      }
      if (keyOnly.has(registration.name)) {
        expect(action).toBeUndefined();
        expect(operation!.security).toEqual([{ functionKey: [] }]);
        continue;
      }
      expect(operation!['x-triage-action']).toBe(action);
      expect(operation!.security).toEqual(
        rolesFor(action!).map((role) => ({ functionKey: [], bearer: [role] })),
      );
    }
  });
});
