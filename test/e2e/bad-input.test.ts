import { ServiceBusClient } from '@azure/service-bus';
import { E2eStack, startE2eStack } from './support/e2e-stack';

/**
 * Every kind of bad input gets a 4xx problem+json naming the field, and nothing is stored or published:
 * the tables stay empty, no tier Function runs, the notifications topic carries nothing, no blob is written.
 */
let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack();
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
});

const valid = { kind: 'provision', orgId: 'org-1', resource: { type: 'vm', quantity: 2, region: 'uksouth' } };

type Case = [name: string, body: unknown, status: number, field?: string, headers?: Record<string, string>];
const cases: Case[] = [
  ['malformed JSON', '{"kind":"provision",', 400, '(body)'],
  ['an array body', '[1,2]', 400],
  [
    'wrong type for quantity',
    { ...valid, resource: { ...valid.resource, quantity: '2' } },
    400,
    'resource.quantity',
  ],
  ['unknown kind', { ...valid, kind: 'teleport' }, 400, 'kind'],
  [
    'negative quantity',
    { ...valid, resource: { ...valid.resource, quantity: -5 } },
    400,
    'resource.quantity',
  ],
  ['huge quantity', { ...valid, resource: { ...valid.resource, quantity: 1e15 } }, 400, 'resource.quantity'],
  [
    'fractional quantity',
    { ...valid, resource: { ...valid.resource, quantity: 1.5 } },
    400,
    'resource.quantity',
  ],
  ['a tier in the body', { ...valid, tier: 'health' }, 400, 'tier'],
  ['control character in orgId', { ...valid, orgId: 'org\u0007bell' }, 400, 'orgId'],
  ['quote in orgId', { ...valid, orgId: "org' or '1' eq '1" }, 400, 'orgId'],
  ['double quote in orgId', { ...valid, orgId: 'org"x' }, 400, 'orgId'],
  ['missing orgId', { kind: 'provision', resource: valid.resource }, 400, 'orgId'],
  [
    'bad mailbox address',
    {
      kind: 'migrate',
      orgId: 'org-1',
      mailboxes: [{ address: 'a@b.example' }, { address: 'not-an-address' }],
    },
    400,
    'mailboxes.1.address',
  ],
  [
    'the same mailbox twice (case-insensitive)',
    {
      kind: 'migrate',
      orgId: 'org-1',
      mailboxes: [{ address: 'Ann@contoso.example' }, { address: 'ann@CONTOSO.example' }],
    },
    400,
    'mailboxes.1.address',
  ],
  [
    'negative mailbox size',
    { kind: 'migrate', orgId: 'org-1', mailboxes: [{ address: 'a@b.example', sizeBytes: -1 }] },
    400,
    'mailboxes.0.sizeBytes',
  ],
  [
    'inventory that does not exist',
    { kind: 'migrate', orgId: 'org-1', inventory: 'org-1/nope.ndjson' },
    400,
    'inventory',
  ],
  [
    'inventory path traversal',
    { kind: 'migrate', orgId: 'org-1', inventory: 'org-1/../org-2/x.ndjson' },
    400,
    'inventory',
  ],
  [
    'wrong content type',
    'kind=provision',
    415,
    undefined,
    { 'content-type': 'application/x-www-form-urlencoded' },
  ],
  [
    'control character in Idempotency-Key',
    valid,
    400,
    'Idempotency-Key',
    { 'Idempotency-Key': 'key with spaces' },
  ],
];

test.each(cases)(
  'POST /api/requests with %s',
  // A rest parameter: a fixed arity longer than some rows makes jest wait for a `done` callback.
  async (...row: Case) => {
    const [, body, status, field, headers] = row;
    const r = await e2e.http('POST', '/api/requests', body, headers);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ status, title: expect.any(String) });
    if (field) expect(r.json.errors.map((e: { field: string }) => e.field)).toContain(field);
  },
);

test('an oversized body is refused with 413 before it is read whole', async () => {
  const huge = {
    kind: 'migrate',
    orgId: 'org-1',
    mailboxes: Array.from({ length: 120_000 }, (_, i) => ({
      address: `someone.with.a.long.name${i}@contoso.example`,
    })),
  };
  const r = await e2e.http('POST', '/api/requests', huge);
  expect(r.status).toBe(413);
  expect(r.json.status).toBe(413);
});

test.each([
  ["orgId=x' or '1' eq '1", 'orgId'],
  ['orgId=x%27%20or%20PartitionKey%20ne%20%27', 'orgId'],
  ['status=completed%27%20or%20true', 'status'],
  ['tier=health)%20or%20(true', 'tier'],
  ['kind=provision%00', 'kind'],
  ['limit=-1', 'limit'],
  ['limit=99999', 'limit'],
  ['continuationToken=%27%3B%20drop', 'continuationToken'],
  ['unexpected=1', 'unexpected'],
])('GET /api/requests?%s → 400 naming %s', async (query, field) => {
  const r = await e2e.http('GET', `/api/requests?${query}`);
  expect(r.status).toBe(400);
  expect(r.json.errors.map((e: { field: string }) => e.field)).toContain(field);
});

test('ids with quotes or control characters in paths are 400, unknown ones 404', async () => {
  expect((await e2e.http('GET', `/api/requests/${encodeURIComponent("a' or 'b")}`)).status).toBe(400);
  expect((await e2e.http('GET', `/api/requests/${encodeURIComponent('a\u0001b')}`)).status).toBe(400);
  expect((await e2e.http('POST', `/api/requests/${encodeURIComponent("x'")}/cancel`)).status).toBe(400);
  expect((await e2e.http('GET', `/api/orgs/${encodeURIComponent("o'rg")}`)).status).toBe(400);
  expect((await e2e.http('POST', '/api/requests/unknown-id/retry')).status).toBe(404);
});

test('a path no route has is a 404 problem, a method its route does not take a 405 with Allow', async () => {
  const missing = await e2e.http('GET', '/api/no/such/route');
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toBe('application/problem+json');
  expect(missing.json).toMatchObject({ status: 404, instance: '/api/no/such/route' });
  const wrongMethod = await e2e.http('DELETE', '/api/requests');
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  expect(wrongMethod.json).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  const onItem = await e2e.http('PATCH', '/api/requests/some-id');
  expect([onItem.status, onItem.headers.get('allow')]).toEqual([405, 'GET']);
  // The routes themselves still answer: the catch-all has the lowest precedence.
  expect((await e2e.http('GET', '/api/requests?orgId=org-1')).status).toBe(200);
  expect((await e2e.http('GET', '/api/openapi.json')).status).toBe(200);
});

test('organisation registry rejects unknown tiers and unknown fields', async () => {
  const bad = await e2e.http('PUT', '/api/orgs/org-1', { name: 'Org', sector: 'x', tier: 'platinum' });
  expect(bad.status).toBe(400);
  expect(bad.json.errors[0].field).toBe('tier');
  const extra = await e2e.http('PUT', '/api/orgs/org-1', {
    name: 'Org',
    sector: 'x',
    tier: 'health',
    rank: 0,
  });
  expect(extra.status).toBe(400);
  expect(extra.json.errors[0].field).toBe('rank');
  expect((await e2e.http('GET', '/api/orgs/org-1')).json.registered).toBe(false);
});

test('a CSV with broken rows is rejected with each line number and nothing is stored', async () => {
  const csv = [
    'EmailAddress,SizeBytes',
    'good@contoso.example,10',
    'not-an-address,5',
    'also.good@contoso.example,abc',
    '"unterminated,1',
  ].join('\n');
  const r = await e2e.http('POST', '/api/inventories?orgId=org-1', csv, { 'content-type': 'text/csv' });
  expect(r.status).toBe(400);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const lines = (r.json.errors as Array<{ field: string }>).map((e) => e.field);
  expect(lines.some((f) => f.startsWith('line 3'))).toBe(true);
  expect(lines.some((f) => f.startsWith('line 4'))).toBe(true);
  expect(
    (
      await e2e.http('POST', "/api/inventories?orgId=o'rg", 'EmailAddress\na@b.example\n', {
        'content-type': 'text/csv',
      })
    ).status,
  ).toBe(400);
});

test('after all of the above nothing was stored or published', async () => {
  for (const table of ['requests', 'requestsByOrg', 'items', 'events', 'idempotency', 'orgs'] as const) {
    expect(await e2e.allEntities(table)).toEqual([]);
  }
  expect(await e2e.listBlobs('inventories')).toEqual([]);
  expect(await e2e.listBlobs('manifests')).toEqual([]);
  expect(e2e.log.filter((line) => /Executing 'Functions\.(provision|migrate)-/.test(line))).toEqual([]);
  const client = new ServiceBusClient(e2e.stack.serviceBusConnectionString);
  try {
    const receiver = client.createReceiver('notifications', 'status-feed');
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    await receiver.close();
  } finally {
    await client.close();
  }
  // The feed is live: one valid request does show up, so the empty peek above means something.
  const ok = await e2e.http('POST', '/api/requests', valid);
  expect(ok.status).toBe(202);
  await e2e.waitForFinal([ok.json.id]);
  // Notifications are published after their event is stored, without holding up the caller: poll briefly.
  const again = new ServiceBusClient(e2e.stack.serviceBusConnectionString);
  try {
    let statuses: string[] = [];
    for (let attempt = 0; attempt < 50 && statuses.length < 4; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const receiver = again.createReceiver('notifications', 'status-feed');
      statuses = (await receiver.peekMessages(20)).map((m) => (m.body as { status: string }).status);
      await receiver.close();
    }
    expect(statuses.sort()).toEqual(['completed', 'queued', 'received', 'running']);
  } finally {
    await again.close();
  }
});
