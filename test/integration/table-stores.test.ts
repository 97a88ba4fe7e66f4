import { TableClient } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../local/azurite';
import { createTableStores, type TableStores } from '../../shared/adapters/table-stores';
import type { RequestRecord } from '../../shared/domain/records';
import { isTriageError } from '../../shared/domain/errors';

let azurite: RunningAzurite;
let stores: TableStores;
let seq = 0;

beforeAll(async () => {
  azurite = await startAzurite({ blobPort: 0 });
  stores = createTableStores(
    (name) =>
      TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true }),
    'it',
  );
  await stores.ensureTables();
  await stores.ensureTables(); // idempotent
});
afterAll(async () => {
  await azurite?.close();
});

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const at = new Date().toISOString();
  return {
    id: `req-${++seq}`,
    kind: 'migrate',
    orgId: 'org-1',
    tier: 'health',
    status: 'received',
    createdAt: at,
    updatedAt: at,
    inventory: 'inventories/org-1/a.ndjson',
    batchesCompleted: 0,
    total: 0,
    succeeded: 0,
    failed: 0,
    retryCount: 0,
    ...overrides,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isTriageError(err) ? err.code : err === undefined ? undefined : String(err);
}

describe('Table stores against Azurite', () => {
  test('requests: create, point read, ETag-checked update, duplicate create is a conflict', async () => {
    const created = await stores.requests.create(request({ resource: undefined }));
    expect(created.etag).toBeTruthy();
    expect(await codeOf(stores.requests.create(created))).toBe('conflict');
    const read = await stores.requests.get(created.id);
    expect(read).toMatchObject({
      id: created.id,
      status: 'received',
      tier: 'health',
      inventory: 'inventories/org-1/a.ndjson',
    });
    const updated = await stores.requests.update({ ...read!, status: 'queued' });
    expect(await codeOf(stores.requests.update({ ...read!, status: 'running' }))).toBe('concurrency');
    expect((await stores.requests.get(created.id))?.status).toBe('queued');
    expect(updated.etag).not.toBe(read!.etag);
    expect(await stores.requests.get('missing')).toBeNull();
  });

  test('batches: ensureBatches keeps existing state; batch + request commit atomically with ETags', async () => {
    const r = await stores.requests.create(request({ status: 'running', batchCount: 2, total: 150 }));
    const batches = [1, 2].map((n) => ({
      requestId: r.id,
      batchNumber: n,
      status: 'queued' as const,
      total: 75,
      succeeded: 0,
      failed: 0,
      manifest: `m/${n}`,
    }));
    await stores.requests.ensureBatches(batches);
    const b1 = (await stores.requests.getBatch(r.id, 1))!;
    await stores.requests.commitBatchAndRequest(
      { ...b1, status: 'completed', succeeded: 74, failed: 1 },
      { ...r, succeeded: 74, failed: 1, batchesCompleted: 1 },
    );
    await stores.requests.ensureBatches(batches); // a redelivered plan must not reset the completed batch
    expect(await stores.requests.getBatch(r.id, 1)).toMatchObject({
      status: 'completed',
      succeeded: 74,
      failed: 1,
      manifest: 'm/1',
    });
    // Stale request ETag: neither entity changes.
    const b2 = (await stores.requests.getBatch(r.id, 2))!;
    expect(
      await codeOf(
        stores.requests.commitBatchAndRequest(
          { ...b2, status: 'completed', succeeded: 75 },
          { ...r, batchesCompleted: 2 },
        ),
      ),
    ).toBe('concurrency');
    expect((await stores.requests.getBatch(r.id, 2))?.status).toBe('queued');
    expect((await stores.requests.get(r.id))?.batchesCompleted).toBe(1);
    expect((await stores.requests.listBatches(r.id)).map((b) => b.batchNumber)).toEqual([1, 2]);
  });

  test('items: 250 written in transactions of ≤100, rewritten idempotently', async () => {
    const items = Array.from({ length: 250 }, (_, i) => ({
      index: i,
      address: `u${i}@x.example`,
      status: 'succeeded' as const,
      attempts: 1,
      at: new Date().toISOString(),
    }));
    await stores.items.write('req-items', 1, items);
    await stores.items.write(
      'req-items',
      1,
      items.slice(0, 10).map((i) => ({ ...i, status: 'failed' as const, reason: 'r' })),
    );
    const read = await stores.items.list('req-items', 1);
    expect(read).toHaveLength(250);
    expect(read.filter((i) => i.status === 'failed')).toHaveLength(10);
    expect(read.find((i) => i.index === 3)).toMatchObject({ address: 'u3@x.example', reason: 'r' });
    expect(await stores.items.list('req-items', 2)).toEqual([]);
  });

  test('list: filters are escaped OData, paging with a url-safe continuation token', async () => {
    for (let i = 0; i < 5; i++)
      await stores.requests.create(
        request({ orgId: 'org-list', tier: 'government', kind: 'provision', inventory: undefined }),
      );
    await stores.requests.create(request({ orgId: "o'q", tier: 'government' }));
    const first = await stores.requests.list({ orgId: 'org-list', tier: 'government' }, 2);
    expect(first.items).toHaveLength(2);
    expect(first.continuationToken).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await stores.requests.list(
      { orgId: 'org-list', tier: 'government' },
      10,
      first.continuationToken,
    );
    expect(second.items).toHaveLength(3);
    const quoted = await stores.requests.list({ orgId: "o'q" }, 10);
    expect(quoted.items.map((r) => r.orgId)).toEqual(["o'q"]);
    // Status is checked on the rows read through the per-organisation index; across organisations it is a filter.
    expect((await stores.requests.list({ orgId: 'org-list', status: 'received' }, 10)).items).toHaveLength(5);
    expect((await stores.requests.list({ orgId: 'org-list', status: 'queued' }, 10)).items).toHaveLength(0);
    const everyOrg = await stores.requests.list({ tier: 'government', kind: 'provision' }, 100);
    expect(everyOrg.items.filter((r) => r.orgId === 'org-list')).toHaveLength(5);
    expect(await stores.clients.requestsByOrg.getEntity('org-list', first.items[0]!.id)).toMatchObject({
      Tier: 'government',
    });
    // An injection attempt is just a value that matches nothing.
    expect((await stores.requests.list({ orgId: "x' or PartitionKey ne '" }, 10)).items).toEqual([]);
  });

  test('events, orgs and idempotency keys', async () => {
    const e1 = await stores.events.append({
      requestId: 'req-ev',
      at: '2026-01-01T00:00:00.000Z',
      type: 'status',
      status: 'received',
    });
    await stores.events.append({
      requestId: 'req-ev',
      at: '2026-01-01T00:00:01.000Z',
      type: 'status',
      status: 'queued',
    });
    await stores.events.markPublished('req-ev', e1.eventId);
    const events = await stores.events.list('req-ev');
    expect(events.map((e) => [e.status, e.published])).toEqual([
      ['received', true],
      ['queued', false],
    ]);
    expect(await stores.orgs.get('nhs')).toBeNull();
    await stores.orgs.upsert(
      {
        orgId: 'nhs',
        name: 'NHS',
        sector: 'health',
        tier: 'health',
        updatedAt: 'now',
      },
      { orgId: 'nhs', at: new Date().toISOString(), actor: 'test', action: 'registered', toTier: 'health' },
    );
    expect(await stores.orgs.get('nhs')).toMatchObject({ tier: 'health', registered: true });
    expect(await stores.idempotency.claim('org', 'key/with?odd#chars', 'h1', 'r1')).toEqual({
      claimed: true,
    });
    expect(await stores.idempotency.claim('org', 'key/with?odd#chars', 'h2', 'r2')).toEqual({
      claimed: false,
      bodyHash: 'h1',
      requestId: 'r1',
    });
  });
});

test('a storage outage is dependency-unavailable (503, retried), from every store, not a raw SDK error', async () => {
  // Nothing listens on port 1: the connection is refused, as when Azurite or the account is down.
  const down = createTableStores(
    (name) =>
      TableClient.fromConnectionString(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;',
        name,
        { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
      ),
    'down',
  );
  // One at a time: a rejection waiting for its turn would be reported as unhandled.
  const calls: Array<() => Promise<unknown>> = [
    () => down.requests.get('r1'),
    () => down.requests.create(request()),
    () => down.items.list('r1', 1),
    () => down.events.list('r1'),
    () => down.orgs.get('o1'),
    () => down.idempotency.claim('o1', 'k', 'h', 'r1'),
  ];
  for (const call of calls) {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTriageError(err, 'dependency-unavailable') && err.retryable).toBe(true);
  }
});
