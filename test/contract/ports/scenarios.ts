/**
 * Port contract scenarios: the same expectations over every implementation of a port — the in-memory fakes
 * the unit tests use and the Table/Blob adapters on Azurite — so a fake cannot drift from production again.
 */
import type { AppPorts } from '../../../shared/app/context';
import { isTriageError } from '../../../shared/domain/errors';
import type { RequestRecord } from '../../../shared/domain/records';

/** The storage ports (Service Bus and the executors have their own contract suites). */
export type PortsUnderTest = Omit<AppPorts, 'publisher' | 'executor'>;

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++seq}`;

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const at = new Date().toISOString();
  return {
    id: unique('req'),
    kind: 'migrate',
    orgId: 'org-1',
    tier: 'health',
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    inventory: 'requests/x.ndjson',
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
  return isTriageError(err) ? err.code : err === undefined ? undefined : `not a TriageError: ${String(err)}`;
}

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const withoutEtag = <T extends { etag?: string }>({ etag: _etag, ...rest }: T) => rest;

/** Registers the scenarios for one implementation; `ports()` is called after the suite's `beforeAll`. */
export function portContract(name: string, ports: () => PortsUnderTest): void {
  describe(`${name}: RequestStore`, () => {
    test('create, point read, ETag-checked update; a duplicate create is a conflict; unknown is null', async () => {
      const { requests } = ports();
      const created = await requests.create(request({ resource: undefined }));
      expect(created.etag).toBeTruthy();
      expect(await codeOf(requests.create(created))).toBe('conflict');
      const read = await requests.get(created.id);
      expect(read && withoutEtag(read)).toEqual(withoutEtag({ ...created, deadLettered: false }));
      const updated = await requests.update({ ...read!, status: 'running' });
      expect(updated.etag).not.toBe(read!.etag);
      expect(await codeOf(requests.update({ ...read!, status: 'failed' }))).toBe('concurrency');
      expect((await requests.get(created.id))?.status).toBe('running');
      expect(await requests.get(unique('missing'))).toBeNull();
    });

    test('list filters by organisation, tier, status and kind, and pages with a token', async () => {
      const { requests } = ports();
      const orgId = unique('org');
      for (let i = 0; i < 5; i++) {
        await requests.create(
          request({ orgId, tier: i % 2 ? 'standard' : 'health', status: i < 3 ? 'queued' : 'completed' }),
        );
      }
      const page1 = await requests.list({ orgId }, 3);
      expect(page1.items).toHaveLength(3);
      expect(page1.continuationToken).toBeTruthy();
      const page2 = await requests.list({ orgId }, 3, page1.continuationToken);
      expect(new Set([...page1.items, ...page2.items].map((r) => r.id)).size).toBe(5);
      expect((await requests.list({ orgId, tier: 'standard' }, 50)).items).toHaveLength(2);
      const completed = await requests.list({ orgId, status: 'completed' }, 50);
      expect(completed.items.map((r) => r.status)).toEqual(['completed', 'completed']);
      expect((await requests.list({ orgId, kind: 'provision' }, 50)).items).toHaveLength(0);
    });

    test('batches: ensureBatches keeps existing state; list is ordered; one transaction commits batch and request or neither', async () => {
      const { requests } = ports();
      const r = await requests.create(request());
      const batch = (n: number) => ({
        requestId: r.id,
        batchNumber: n,
        status: 'queued' as const,
        total: 10,
        succeeded: 0,
        failed: 0,
        manifest: `${r.id}/batch-000${n}.ndjson`,
      });
      await requests.ensureBatches([batch(2), batch(1)]);
      const first = (await requests.getBatch(r.id, 1))!;
      await requests.updateBatch({ ...first, status: 'running' });
      await requests.ensureBatches([batch(1), batch(2), batch(3)]);
      expect((await requests.listBatches(r.id)).map((b) => [b.batchNumber, b.status])).toEqual([
        [1, 'running'],
        [2, 'queued'],
        [3, 'queued'],
      ]);
      expect(await requests.getBatch(r.id, 9)).toBeNull();

      const b = (await requests.getBatch(r.id, 1))!;
      const req = (await requests.get(r.id))!;
      await requests.commitBatchAndRequest(
        { ...b, status: 'completed', succeeded: 10 },
        { ...req, succeeded: 10, batchesCompleted: 1 },
      );
      // Both stale now: the second commit changes neither.
      expect(
        await codeOf(requests.commitBatchAndRequest({ ...b, succeeded: 99 }, { ...req, succeeded: 99 })),
      ).toBe('concurrency');
      // Only the request stale: the batch is not written either.
      const b2 = (await requests.getBatch(r.id, 2))!;
      expect(
        await codeOf(requests.commitBatchAndRequest({ ...b2, succeeded: 5 }, { ...req, succeeded: 5 })),
      ).toBe('concurrency');
      expect((await requests.getBatch(r.id, 2))?.succeeded).toBe(0);
      expect(await requests.get(r.id)).toMatchObject({ succeeded: 10, batchesCompleted: 1 });
      expect(await requests.getBatch(r.id, 1)).toMatchObject({ status: 'completed', succeeded: 10 });
      expect(await codeOf(requests.updateBatch({ ...b, failed: 1 }))).toBe('concurrency');
    });
  });

  describe(`${name}: ItemStore, EventStore, OrgStore, IdempotencyStore`, () => {
    test('items: written in any number, upserted by index, listed per batch', async () => {
      const { items } = ports();
      const requestId = unique('req');
      const at = new Date().toISOString();
      const records = Array.from({ length: 150 }, (_, index) => ({
        index,
        address: `u${index}@x.example`,
        status: 'succeeded' as const,
        attempts: 1,
        at,
      }));
      await items.write(requestId, 1, records);
      await items.write(requestId, 1, [
        { index: 3, address: 'u3@x.example', status: 'failed', attempts: 2, reason: 'locked', at },
      ]);
      const listed = await items.list(requestId, 1);
      expect(listed).toHaveLength(150);
      expect(listed.find((i) => i.index === 3)).toEqual({
        index: 3,
        address: 'u3@x.example',
        status: 'failed',
        attempts: 2,
        reason: 'locked',
        at,
      });
      expect(await items.list(requestId, 2)).toEqual([]);
    });

    test('events: appended in order with unique ids, unpublished until marked', async () => {
      const { events } = ports();
      const requestId = unique('req');
      const at = new Date().toISOString();
      const a = await events.append({ requestId, at, type: 'status', status: 'received', message: 'first' });
      const b = await events.append({ requestId, at, type: 'note', message: 'second' });
      expect(a.eventId).not.toBe(b.eventId);
      expect(a.published).toBe(false);
      await events.markPublished(requestId, a.eventId);
      const listed = await events.list(requestId);
      expect(listed.map((e) => [e.message, e.published])).toEqual([
        ['first', true],
        ['second', false],
      ]);
    });

    test('orgs: unknown is null; upsert replaces', async () => {
      const { orgs } = ports();
      const orgId = unique('org');
      expect(await orgs.get(orgId)).toBeNull();
      const at = new Date().toISOString();
      await orgs.upsert({ orgId, name: 'A', sector: 'health', tier: 'health', updatedAt: at });
      await orgs.upsert({ orgId, name: 'B', sector: 'health', tier: 'government', updatedAt: at });
      expect(await orgs.get(orgId)).toEqual({
        orgId,
        name: 'B',
        sector: 'health',
        tier: 'government',
        updatedAt: at,
        registered: true,
      });
    });

    test('idempotency: the first claim wins and is returned to later ones, per organisation', async () => {
      const { idempotency } = ports();
      const orgId = unique('org');
      expect(await idempotency.claim(orgId, 'k', 'h1', 'r1')).toEqual({ claimed: true });
      expect(await idempotency.claim(orgId, 'k', 'h2', 'r2')).toEqual({
        claimed: false,
        bodyHash: 'h1',
        requestId: 'r1',
      });
      expect(await idempotency.claim(unique('org'), 'k', 'h2', 'r2')).toEqual({ claimed: true });
    });
  });

  describe(`${name}: ArtifactStore`, () => {
    test('a valid CSV is stored under the organisation and reads back normalised', async () => {
      const { artifacts } = ports();
      const orgId = unique('org');
      const result = await artifacts.importInventoryCsv(
        orgId,
        bytes('EmailAddress,SizeBytes\na@x.example,10\nb@x.example,\n'),
      );
      expect(result).toMatchObject({ rowCount: 2, badRows: [] });
      expect(result.blobName?.startsWith(`${orgId}/`)).toBe(true);
      expect(await artifacts.inventoryExists(result.blobName!)).toBe(true);
      expect(await collect(artifacts.readInventory(result.blobName!))).toEqual([
        { address: 'a@x.example', sizeBytes: 10 },
        { address: 'b@x.example' },
      ]);
    });

    test('a CSV with bad rows is refused with their lines; nothing is stored', async () => {
      const { artifacts } = ports();
      const result = await artifacts.importInventoryCsv(
        unique('org'),
        bytes('EmailAddress\na@x.example\nnot-an-address\na@x.example\n'),
      );
      expect(result.blobName).toBeNull();
      expect(result.rowCount).toBe(3);
      expect(result.badRows.map((r) => r.line)).toEqual([3, 4]);
      expect((await artifacts.importInventoryCsv(unique('org'), bytes(''))).badRows).toEqual([
        expect.objectContaining({ line: 1 }),
      ]);
      expect((await artifacts.importInventoryCsv(unique('org'), bytes('EmailAddress\n'))).badRows).toEqual([
        expect.objectContaining({ line: 2 }),
      ]);
    });

    test('an upload over the limit is payload-too-large', async () => {
      const { artifacts } = ports();
      const csv = `EmailAddress\n${Array.from({ length: 200 }, (_, i) => `u${i}@x.example`).join('\n')}\n`;
      expect(await codeOf(artifacts.importInventoryCsv(unique('org'), bytes(csv), { maxBytes: 1024 }))).toBe(
        'payload-too-large',
      );
    });

    test('inline inventories and manifests round-trip; missing ones are not-found; bad names are validation', async () => {
      const { artifacts } = ports();
      const requestId = unique('req');
      const name = await artifacts.writeInventory(requestId, [{ address: 'a@x.example', sizeBytes: 1 }]);
      expect(name).toBe(`requests/${requestId}.ndjson`);
      expect(await collect(artifacts.readInventory(name))).toEqual([
        { address: 'a@x.example', sizeBytes: 1 },
      ]);
      expect(await artifacts.inventoryExists(`requests/${unique('none')}.ndjson`)).toBe(false);
      expect(await codeOf(collect(artifacts.readInventory(`requests/${unique('none')}.ndjson`)))).toBe(
        'not-found',
      );
      expect(await codeOf(collect(artifacts.readInventory('../escape.ndjson')))).toBe('validation');

      const written = await artifacts.writeBatchManifest(requestId, 7, [{ address: 'b@x.example' }]);
      expect(written).toEqual({
        ndjsonBlob: `${requestId}/batch-0007.ndjson`,
        csvBlob: `${requestId}/batch-0007.csv`,
      });
      expect(await artifacts.readBatchManifest(requestId, 7)).toEqual([{ address: 'b@x.example' }]);
      expect(await codeOf(artifacts.readBatchManifest(requestId, 8))).toBe('not-found');
    });
  });

  describe(`${name}: ActivityIndex`, () => {
    test('touch upserts, listIdle finds only what is older than the cutoff, remove forgets (twice is fine)', async () => {
      const { activity } = ports();
      const [a, b] = [unique('act'), unique('act')];
      const old = new Date(Date.now() - 3_600_000).toISOString();
      await activity.touch({ requestId: a, status: 'queued', progressAt: old });
      await activity.touch({ requestId: b, status: 'running', progressAt: new Date().toISOString() });
      const cutoff = new Date(Date.now() - 60_000).toISOString();
      const idle = (await activity.listIdle(cutoff, 10_000)).filter(
        (e) => e.requestId === a || e.requestId === b,
      );
      expect(idle).toEqual([{ requestId: a, status: 'queued', progressAt: old }]);
      await activity.touch({ requestId: a, status: 'running', progressAt: new Date().toISOString() });
      expect((await activity.listIdle(cutoff, 10_000)).some((e) => e.requestId === a)).toBe(false);
      await activity.remove(a);
      await activity.remove(a);
      await activity.remove(b);
      expect(
        (await activity.listIdle(new Date(Date.now() + 60_000).toISOString(), 10_000)).some(
          (e) => e.requestId === a || e.requestId === b,
        ),
      ).toBe(false);
    });
  });

  describe(`${name}: DeadLetterLog and re-indexing`, () => {
    test('the log keeps each refused message once, newest first', async () => {
      const { deadLetters } = ports();
      const id = unique('msg');
      const older = {
        messageId: `${id}-a`,
        at: new Date(Date.now() - 1000).toISOString(),
        source: 'f',
        reason: 'poison',
        body: '{}',
      };
      const newer = { ...older, messageId: `${id}-b`, at: new Date().toISOString(), requestId: 'r-1' };
      await deadLetters.record(older);
      await deadLetters.record(older);
      await deadLetters.record(newer);
      const mine = (await deadLetters.list(500)).filter((e) => e.messageId.startsWith(id));
      expect(mine).toEqual([newer, older]);
    });

    test('an update with reindex moves the request to its new tier in the organisation listing', async () => {
      const { requests } = ports();
      const orgId = unique('org');
      const created = await requests.create(request({ orgId, tier: 'health' }));
      await requests.update({ ...created, tier: 'standard' }, { reindex: true });
      expect((await requests.list({ orgId, tier: 'standard' }, 10)).items.map((r) => r.id)).toEqual([
        created.id,
      ]);
      expect((await requests.list({ orgId, tier: 'health' }, 10)).items).toEqual([]);
    });
  });

  describe(`${name}: ArtifactStore.readInventoryChunk`, () => {
    test('reads an inventory chunk by chunk from the cursor it returns, to the end', async () => {
      const { artifacts } = ports();
      const requestId = unique('chunks');
      const list = Array.from({ length: 25 }, (_, i) => ({ address: `u${i}@x.example`, sizeBytes: i }));
      const blob = await artifacts.writeInventory(requestId, list);
      const seen: Array<{ address: string }> = [];
      let cursor: string | undefined;
      const sizes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const chunk = await artifacts.readInventoryChunk(blob, cursor, 10);
        sizes.push(chunk.entries.length);
        seen.push(...chunk.entries);
        if (chunk.next === undefined) break;
        cursor = chunk.next;
      }
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(list);
      const exact = await artifacts.readInventoryChunk(blob, undefined, 25);
      expect(exact.entries).toHaveLength(25);
      expect(exact.next).toBeUndefined();
    });
  });
}
