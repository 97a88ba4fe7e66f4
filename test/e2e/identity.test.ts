import { roles } from '../../shared/domain/identity/principal';
import { badTokenKinds, badTokens, type BadTokenKind } from '../support/bad-tokens';
import { E2eStack, mailboxes, startE2eStack } from './support/e2e-stack';

/**
 * Identity over the whole local stack: tokens from the stack's issuer, validated by the app in the host
 * process against the issuer's JWKS. Requester A (royal-infirmary) cannot read, list, cancel, retry or
 * reference anything of organisation B (city-council) by any route or blob-name trick.
 */
let e2e: E2eStack;
const A = 'royal-infirmary';
const B = 'city-council';
const as = async (options: Parameters<E2eStack['token']>[0]) => ({
  authorization: `Bearer ${await e2e.token(options)}`,
});
const migrateInline = (orgId: string, count: number, who: Record<string, string>) =>
  e2e.http('POST', '/api/requests', { kind: 'migrate', orgId, mailboxes: mailboxes(count) }, who);
const upload = (orgId: string, csv: string, who: Record<string, string>) =>
  e2e.http('POST', `/api/inventories?orgId=${orgId}`, csv, { ...who, 'content-type': 'text/csv' });
let alice: Record<string, string>;
let bob: Record<string, string>;
let operator: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  e2e = await startE2eStack();
  alice = await as({ roles: [roles.requester], orgs: [A], subject: 'alice' });
  bob = await as({ roles: [roles.requester], orgs: [B], subject: 'bob' });
  operator = await as({ roles: [roles.operator], subject: 'olga' });
  admin = await as({ roles: [roles.admin], subject: 'adam' });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
});

test('no token, or any kind of bad token, is a 401 with WWW-Authenticate; health stays anonymous', async () => {
  const none = await e2e.http('GET', '/api/requests', undefined, { authorization: '' });
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toBe('Bearer realm="triage"');
  expect(none.headers.get('content-type')).toMatch(/application\/problem\+json/);
  const bad = await badTokens(e2e.stack.tokenIssuer!, [A]);
  for (const kind of badTokenKinds) {
    const r = await e2e.http('GET', '/api/requests', undefined, {
      authorization: `Bearer ${bad[kind as BadTokenKind]}`,
    });
    expect({ kind, status: r.status }).toEqual({ kind, status: 401 });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="triage", error="invalid_token"/);
  }
  expect((await e2e.http('GET', '/api/health', undefined, { authorization: '' })).status).toBe(200);
});

test('requester A cannot read, list, cancel, retry or reference anything of B', async () => {
  await e2e.registerOrg(B, 'government');
  const ofB = await migrateInline(B, 5, bob);
  expect(ofB.status).toBe(202);
  const uploaded = await upload(B, 'EmailAddress\nx@city.example\n', bob);
  expect(uploaded.status).toBe(201);
  const id = ofB.json.id as string;
  const inline = (await e2e.http('GET', `/api/requests/${id}`, undefined, bob)).json.inventory as string;
  expect(inline).toBe(`_requests/${id}.ndjson`);

  // Read, cancel, retry: as if it did not exist.
  for (const [method, route] of [
    ['GET', `/api/requests/${id}`],
    ['POST', `/api/requests/${id}/cancel`],
    ['POST', `/api/requests/${id}/retry`],
  ] as const) {
    expect({ route, status: (await e2e.http(method, route, undefined, alice)).status }).toEqual({
      route,
      status: 404,
    });
  }
  // List: only its own organisation; naming B is forbidden.
  expect((await e2e.http('GET', '/api/requests', undefined, alice)).json.items).toEqual([]);
  expect((await e2e.http('GET', `/api/requests?orgId=${B}`, undefined, alice)).status).toBe(403);
  // Submit or upload for B, or read B's registry entry: forbidden.
  expect(
    (
      await e2e.http(
        'POST',
        '/api/requests',
        { kind: 'provision', orgId: B, resource: { type: 'vm', quantity: 1, region: 'uksouth' } },
        alice,
      )
    ).status,
  ).toBe(403);
  expect((await upload(B, 'EmailAddress\nx@a.example\n', alice)).status).toBe(403);
  expect((await e2e.http('GET', `/api/orgs/${B}`, undefined, alice)).status).toBe(403);
  // Reference B's blobs from A's own request: every trick reads as "no such inventory".
  for (const inventory of [
    uploaded.json.blobName,
    inline,
    `${A}/../${uploaded.json.blobName}`,
    `requests/${id}.ndjson`,
  ]) {
    const r = await e2e.http('POST', '/api/requests', { kind: 'migrate', orgId: A, inventory }, alice);
    expect({ inventory, status: r.status, field: r.json?.errors?.[0]?.field }).toEqual({
      inventory,
      status: 400,
      field: 'inventory',
    });
  }
  // B's request is untouched and B (and an operator) still see it.
  const mine = await e2e.waitForFinal([id]);
  expect(mine.get(id)).toMatchObject({ status: 'completed', progress: { total: 5, succeeded: 5 } });
  expect(
    (await e2e.http('GET', `/api/requests?orgId=${B}`, undefined, operator)).json.items.map(
      (r: { id: string }) => r.id,
    ),
  ).toContain(id);
}, 90_000);

test('the orgId `requests` cannot reach an inline list', async () => {
  const requestsOrg = await as({ roles: [roles.requester], orgs: ['requests'], subject: 'rita' });
  const ofA = await migrateInline(A, 2, alice);
  expect(ofA.status).toBe(202);
  for (const inventory of [`requests/${ofA.json.id}.ndjson`, `_requests/${ofA.json.id}.ndjson`]) {
    const r = await e2e.http(
      'POST',
      '/api/requests',
      { kind: 'migrate', orgId: 'requests', inventory },
      requestsOrg,
    );
    expect({ inventory, status: r.status }).toEqual({ inventory, status: 400 });
  }
  // Its own uploads live under requests/ and serve it only.
  const own = await upload('requests', 'EmailAddress\nr@r.example\n', requestsOrg);
  expect(own.json.blobName).toMatch(/^requests\//);
  const body = { kind: 'migrate', orgId: A, inventory: own.json.blobName };
  expect((await e2e.http('POST', '/api/requests', body, alice)).status).toBe(400);
});

test('an admin binds a principal to an organisation through the membership table; the binding decides', async () => {
  const carol = await as({ roles: [roles.requester], subject: 'carol' }); // no organisation in her token
  const body = { kind: 'provision', orgId: B, resource: { type: 'vm', quantity: 1, region: 'uksouth' } };
  expect((await e2e.http('POST', '/api/requests', body, carol)).status).toBe(403);
  expect((await e2e.http('PUT', `/api/orgs/${B}/members/carol`, undefined, operator)).status).toBe(403);
  expect((await e2e.http('PUT', `/api/orgs/${B}/members/carol`, undefined, admin)).status).toBe(200);
  expect((await e2e.http('GET', `/api/orgs/${B}/members`, undefined, operator)).json.items).toEqual([
    expect.objectContaining({ orgId: B, principalId: 'carol', addedBy: 'adam' }),
  ]);
  expect((await e2e.http('POST', '/api/requests', body, carol)).status).toBe(202);
  expect((await e2e.http('DELETE', `/api/orgs/${B}/members/carol`, undefined, admin)).status).toBe(204);
  expect((await e2e.http('POST', '/api/requests', body, carol)).status).toBe(403);
  // Every change above is in the audit table, with its principal.
  const audit = await e2e.allEntities('audit');
  const byCarolOrAdam = audit.filter((e) => e.PrincipalId === 'carol' || e.PrincipalId === 'adam');
  expect(byCarolOrAdam.map((e) => `${e.PrincipalId} ${e.Action} ${e.Role}`).sort()).toEqual(
    [
      'adam members:write Triage.Admin',
      'adam members:write Triage.Admin',
      'carol requests:submit Triage.Requester',
    ].sort(),
  );
});
