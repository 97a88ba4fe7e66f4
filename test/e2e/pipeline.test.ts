import { E2eStack, mailboxes, startE2eStack } from './support/e2e-stack';

/**
 * The whole app on the local stack, over HTTP: three organisations at tiers 1, 2 and 4, a 5,000-mailbox
 * migration and a burst of provisioning requests all reach their final status with exact counts.
 */
let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ settings: { TRIAGE_BATCH_SIZE: '250', TRIAGE_ITEM_CONCURRENCY: '32' } });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
});

const orgs = [
  { orgId: 'nhs-trust', tier: 'health' },
  { orgId: 'gov-dept', tier: 'government' },
  { orgId: 'corner-shop', tier: 'standard' },
];

test('a 5,000-mailbox migration and a provisioning burst reach final status, routed by tier, counted exactly', async () => {
  for (const org of orgs) await e2e.registerOrg(org.orgId, org.tier);

  const migration = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'gov-dept',
    mailboxes: mailboxes(5_000),
  });
  expect(migration.status).toBe(202);
  expect(migration.headers.get('location')).toBe(`/api/requests/${migration.json.id}`);
  expect(migration.json).toMatchObject({ kind: 'migrate', orgId: 'gov-dept', tier: 'government' });

  const burst = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      e2e.http('POST', '/api/requests', {
        kind: 'provision',
        orgId: orgs[i % 3]!.orgId,
        resource: { type: 'mailbox-licence', quantity: i + 1, region: 'uksouth' },
      }),
    ),
  );
  expect(burst.map((r) => r.status)).toEqual(burst.map(() => 202));
  burst.forEach((r, i) => expect(r.json.tier).toBe(orgs[i % 3]!.tier));

  const ids = [migration.json.id as string, ...burst.map((r) => r.json.id as string)];
  const states = await e2e.waitForFinal(ids, 150_000);

  const m = states.get(migration.json.id);
  expect(m).toMatchObject({
    status: 'completed',
    tier: 'government',
    batchCount: 20,
    batchesCompleted: 20,
    progress: { total: 5000, succeeded: 5000, failed: 0, pending: 0 },
  });
  expect(m.history.map((h: { status?: string }) => h.status).filter(Boolean)).toEqual([
    'received',
    'queued',
    'running',
    'completed',
  ]);
  for (const r of burst) {
    expect(states.get(r.json.id)).toMatchObject({
      status: 'completed',
      progress: { total: 1, succeeded: 1, failed: 0, pending: 0 },
    });
  }

  // Each tier's Function processed only its tier's messages.
  for (const [, state] of states) {
    const prefix = state.kind === 'provision' ? 'provision' : 'migrate';
    expect(state.processedBy).toBe(`${prefix}-${state.tier}`);
  }
  expect(new Set(m.batches.map((b: { processedBy: string }) => b.processedBy))).toEqual(
    new Set(['migrate-government']),
  );

  // Items: exactly one row per mailbox, all succeeded, in 20 partitions.
  const items = (await e2e.allEntities('items')).filter((e) =>
    String(e.partitionKey).startsWith(migration.json.id),
  );
  expect(items).toHaveLength(5000);
  expect(items.every((e) => e.Status === 'succeeded')).toBe(true);
  expect(new Set(items.map((e) => e.Address)).size).toBe(5000);
  expect(new Set(items.map((e) => e.partitionKey)).size).toBe(20);

  // Manifests: NDJSON + Exchange-style CSV per batch; together they list every mailbox once.
  const manifestNames = await e2e.listBlobs('manifests', `${migration.json.id}/`);
  expect(manifestNames.filter((n) => n.endsWith('.ndjson'))).toHaveLength(20);
  expect(manifestNames.filter((n) => n.endsWith('.csv'))).toHaveLength(20);
  const listed: string[] = [];
  for (const name of manifestNames.filter((n) => n.endsWith('.ndjson'))) {
    for (const line of (await e2e.blobText('manifests', name)).split('\n').filter(Boolean)) {
      listed.push((JSON.parse(line) as { address: string }).address);
    }
  }
  expect(listed.sort()).toEqual(
    mailboxes(5000)
      .map((x) => x.address)
      .sort(),
  );
  const csv = await e2e.blobText('manifests', `${migration.json.id}/batch-0001.csv`);
  expect(csv.split(/\r?\n/)[0]).toMatch(/^EmailAddress/);

  // Listing by organisation and tier.
  const listed2 = await e2e.http('GET', '/api/requests?orgId=gov-dept&kind=provision&limit=100');
  expect(listed2.status).toBe(200);
  expect(listed2.json.items).toHaveLength(10);
  expect(listed2.json.items.every((r: { tier: string }) => r.tier === 'government')).toBe(true);
}, 200_000);

test('idempotency, cancel, health and the OpenAPI document over HTTP', async () => {
  const body = {
    kind: 'provision',
    orgId: 'nhs-trust',
    resource: { type: 'vm', quantity: 1, region: 'uksouth' },
  };
  const first = await e2e.http('POST', '/api/requests', body, { 'Idempotency-Key': 'abc-123' });
  const again = await e2e.http('POST', '/api/requests', body, { 'Idempotency-Key': 'abc-123' });
  expect(again.status).toBe(202);
  expect(again.json.id).toBe(first.json.id);
  const other = await e2e.http(
    'POST',
    '/api/requests',
    { ...body, resource: { ...body.resource, quantity: 2 } },
    { 'Idempotency-Key': 'abc-123' },
  );
  expect(other.status).toBe(409);
  expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/);

  const unregistered = await e2e.http('GET', '/api/orgs/never-seen');
  expect(unregistered.json).toMatchObject({ tier: 'standard', registered: false });

  const health = await e2e.http('GET', '/api/health');
  expect(health.status).toBe(200);
  expect(health.json.checks).toMatchObject({ storage: { ok: true }, serviceBus: { ok: true } });

  const openapi = await e2e.http('GET', '/api/openapi.json');
  expect(openapi.status).toBe(200);
  expect(Object.keys(openapi.json.paths)).toEqual(
    expect.arrayContaining(['/requests', '/requests/{id}', '/inventories', '/orgs/{orgId}']),
  );

  const done = await e2e.waitForFinal([first.json.id as string]);
  const cancelDone = await e2e.http('POST', `/api/requests/${first.json.id}/cancel`);
  expect(done.get(first.json.id).status).toBe('completed');
  expect(cancelDone.status).toBe(409);
  expect((await e2e.http('GET', '/api/requests/does-not-exist')).status).toBe(404);
}, 60_000);

test('an uploaded CSV inventory migrates by claim-check', async () => {
  const rows = [
    'EmailAddress,SizeBytes',
    ...mailboxes(120, 'nhs.example').map((x) => `${x.address},${x.sizeBytes}`),
  ].join('\n');
  const upload = await e2e.http('POST', '/api/inventories?orgId=nhs-trust', rows, {
    'content-type': 'text/csv',
  });
  expect(upload.status).toBe(201);
  expect(upload.json).toMatchObject({ rowCount: 120, badRows: [] });
  const submit = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'nhs-trust',
    inventory: upload.json.blobName,
  });
  expect(submit.status).toBe(202);
  const states = await e2e.waitForFinal([submit.json.id]);
  expect(states.get(submit.json.id)).toMatchObject({
    status: 'completed',
    tier: 'health',
    processedBy: 'migrate-health',
    progress: { total: 120, succeeded: 120 },
  });
  // Another organisation cannot claim this inventory.
  const stolen = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'gov-dept',
    inventory: upload.json.blobName,
  });
  expect(stolen.status).toBe(400);
  expect(stolen.json.errors[0].field).toBe('inventory');
}, 60_000);
