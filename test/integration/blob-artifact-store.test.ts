import { BlobServiceClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import { startAzurite, type RunningAzurite } from '../../local/azurite';
import { BlobArtifactStore, MAX_REPORTED_BAD_ROWS } from '../../shared/adapters/blob-artifact-store';
import type { MailboxEntry } from '../../shared/domain/inventory';

let azurite: RunningAzurite;
let blobs: BlobServiceClient;

beforeAll(async () => {
  azurite = await startAzurite({ blobPort: 0 });
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
});

afterAll(async () => {
  await azurite?.close();
});

/** A store on its own containers, so tests cannot see each other's blobs. */
async function freshStore(): Promise<BlobArtifactStore> {
  const store = new BlobArtifactStore(blobs, { containerPrefix: `t${randomBytes(4).toString('hex')}-` });
  await store.ensureContainers();
  return store;
}

/** The CSV as an upload arrives: in small chunks that split lines, quotes and multi-byte characters. */
async function* chunked(text: string, size = 7): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Committed blobs only: what a reader can see. */
async function committedNames(
  store: BlobArtifactStore,
  container: 'inventories' | 'manifests',
): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of blobs.getContainerClient(store.containers[container]).listBlobsFlat())
    names.push(blob.name);
  return names;
}

describe('BlobArtifactStore on Azurite', () => {
  test('ensureContainers is idempotent, also when run concurrently', async () => {
    const store = new BlobArtifactStore(blobs, { containerPrefix: `c${randomBytes(4).toString('hex')}-` });
    await Promise.all([store.ensureContainers(), store.ensureContainers()]);
    await store.ensureContainers();
    for (const name of Object.values(store.containers)) {
      expect(await blobs.getContainerClient(name).exists()).toBe(true);
    }
    expect(() => new BlobArtifactStore(blobs, { containerPrefix: 'Bad_' })).toThrow(RangeError);
  });

  test('imports an Exchange Online migration CSV as is, streamed in small chunks', async () => {
    const store = await freshStore();
    const csv =
      '\uFEFFEmailAddress,Password,ForceChangePassword,TotalItemSize\r\n' +
      'ann@contoso.com,P@ss,False,"1.5 GB (1,610,612,736 bytes)"\r\n' +
      '\r\n' +
      ' bob@contoso.com ,"sec,ret",True,\r\n' +
      'zoë.x@contoso.com,x,True,2048\r\n';
    const result = await store.importInventoryCsv('contoso', chunked(csv));
    // zoë has a non-ASCII local part: refused (RFC 5321 subset), on its own line.
    expect(result).toEqual({
      blobName: null,
      rowCount: 3,
      badRows: [{ line: 5, field: 'EmailAddress', message: 'EmailAddress is not a valid email address' }],
    });

    const good = csv.replace('zoë.x', 'zoe.x');
    const imported = await store.importInventoryCsv('contoso', chunked(good));
    expect(imported.badRows).toEqual([]);
    expect(imported.rowCount).toBe(3);
    expect(imported.blobName).toMatch(/^contoso\/\d{8}T\d{9}Z-[0-9a-f]{16}\.ndjson$/);
    const blobName = imported.blobName as string;
    expect(await store.inventoryOwner(blobName)).toEqual({ orgId: 'contoso', source: 'csv-import' });
    expect(await collect(store.readInventory(blobName))).toEqual([
      { address: 'ann@contoso.com', sizeBytes: 1_610_612_736 },
      { address: 'bob@contoso.com' },
      { address: 'zoe.x@contoso.com', sizeBytes: 2048 },
    ]);
    // The password column never reaches storage.
    const stored = await blobs
      .getContainerClient(store.containers.inventories)
      .getBlockBlobClient(blobName)
      .downloadToBuffer();
    expect(stored.toString('utf8')).not.toContain('P@ss');
    expect(await committedNames(store, 'inventories')).toEqual([blobName]);
  });

  test('reports every bad row with its line number and writes nothing', async () => {
    const store = await freshStore();
    const csv = [
      'emailaddress,SizeBytes', // 1
      'a@contoso.com,10', // 2
      'not-an-address,5', // 3
      'b@contoso.com,-1', // 4
      'A@CONTOSO.COM,1', // 5 duplicate of line 2
      'c@contoso.com,12"3', // 6 misplaced quote
      '"d@contoso.com', // 7 quoted field over two lines, with a line break inside: not an address
      'more",1', // 8
      'e@contoso.com,99', // 9
      ',7', // 10
    ].join('\n');
    const result = await store.importInventoryCsv('fabrikam', chunked(csv, 3));
    expect(result.blobName).toBeNull();
    expect(result.badRows).toEqual([
      { line: 3, field: 'EmailAddress', message: 'EmailAddress is not a valid email address' },
      { line: 4, field: 'SizeBytes', message: expect.stringContaining('SizeBytes is not a byte count') },
      { line: 5, field: 'EmailAddress', message: 'duplicate address (first on line 2)' },
      { line: 6, message: expect.stringContaining('quote') },
      { line: 7, field: 'EmailAddress', message: 'EmailAddress contains a control character' },
      { line: 10, field: 'EmailAddress', message: 'EmailAddress is empty' },
    ]);
    expect(result.badRowCount).toBeUndefined();
    expect(await committedNames(store, 'inventories')).toEqual([]);
  });

  test.each([
    ['', 1, /empty/],
    ['EmailAddress\r\n', 2, /no mailbox rows/],
    ['Address,Size\r\na@b.com,1\r\n', 1, /no EmailAddress column/],
    ['EmailAddress\r\n"a@b.com\r\n', 3, /never closed/],
  ])('rejects %j', async (csv, line, message) => {
    const store = await freshStore();
    const result = await store.importInventoryCsv('contoso', chunked(csv));
    expect(result.blobName).toBeNull();
    expect(result.badRows).toEqual([
      expect.objectContaining({ line, message: expect.stringMatching(message) }),
    ]);
    expect(await committedNames(store, 'inventories')).toEqual([]);
  });

  test('caps the bad-row list and counts the rest', async () => {
    const store = await freshStore();
    const rows = Array.from({ length: 2_500 }, (_, i) => `bad-${i}`);
    const result = await store.importInventoryCsv(
      'contoso',
      chunked(`EmailAddress\n${rows.join('\n')}\n`, 4096),
    );
    expect(result.badRows).toHaveLength(MAX_REPORTED_BAD_ROWS);
    expect(result.badRows[0]).toMatchObject({ line: 2 });
    expect(result.badRows.at(-1)).toMatchObject({ line: MAX_REPORTED_BAD_ROWS + 1 });
    expect(result.badRowCount).toBe(2_500);
    expect(result.rowCount).toBe(2_500);
  });

  test('counts bad rows, not problems: a row with a bad address and a bad size is one bad row', async () => {
    const store = await freshStore();
    const rows = Array.from({ length: 300 }, (_, i) => `bad-${i},lots`);
    const result = await store.importInventoryCsv(
      'contoso',
      chunked(`EmailAddress,SizeBytes\n${rows.join('\n')}\n`, 4096),
    );
    expect(result.badRows).toHaveLength(MAX_REPORTED_BAD_ROWS);
    expect(result).toMatchObject({ badRowCount: 300, problemCount: 600, rowCount: 300 });
  });

  test('a large import is staged in several blocks; a bad last row leaves nothing committed', async () => {
    const store = await freshStore();
    const n = 60_000;
    const header = 'EmailAddress,SizeBytes\n';
    const body = Array.from(
      { length: n },
      (_, i) => `mailbox.number.${i}@large-tenant.example.com,${i * 1024}`,
    ).join('\n');
    const started = performance.now();
    const imported = await store.importInventoryCsv('large', chunked(`${header}${body}\n`, 64 * 1024));
    const importMs = performance.now() - started;
    expect(imported).toMatchObject({ rowCount: n, badRows: [] });
    const blob = blobs
      .getContainerClient(store.containers.inventories)
      .getBlockBlobClient(imported.blobName as string);
    const blocks = await blob.getBlockList('committed');
    expect(blocks.committedBlocks?.length).toBeGreaterThan(1);
    let count = 0;
    const readStarted = performance.now();
    for await (const entry of store.readInventory(imported.blobName as string)) {
      if (count === 12_345)
        expect(entry).toEqual({
          address: 'mailbox.number.12345@large-tenant.example.com',
          sizeBytes: 12_345 * 1024,
        });
      count++;
    }
    const readMs = performance.now() - readStarted;
    expect(count).toBe(n);

    const before = await committedNames(store, 'inventories');
    const broken = await store.importInventoryCsv(
      'large',
      chunked(`${header}${body}\nbroken-row,1\n`, 64 * 1024),
    );
    expect(broken).toEqual({
      blobName: null,
      rowCount: n + 1,
      badRows: [{ line: n + 2, field: 'EmailAddress', message: 'EmailAddress is not a valid email address' }],
    });
    expect(await committedNames(store, 'inventories')).toEqual(before);
    console.log(
      `import of ${n} rows (${(header.length + body.length) >> 20} MiB): ${importMs.toFixed(0)} ms; read back: ${readMs.toFixed(0)} ms`,
    );
  });

  test('stops reading at maxBytes and writes nothing', async () => {
    const store = await freshStore();
    let pulled = 0;
    async function* endless(): AsyncIterable<Uint8Array> {
      yield Buffer.from('EmailAddress\n');
      for (;;) {
        pulled++;
        yield Buffer.from(`user${pulled}@contoso.com\n`);
      }
    }
    await expect(store.importInventoryCsv('contoso', endless(), { maxBytes: 10_000 })).rejects.toMatchObject({
      name: 'TriageError',
      code: 'payload-too-large',
    });
    expect(pulled).toBeLessThan(1_000);
    expect(await committedNames(store, 'inventories')).toEqual([]);
  });

  test('refuses an unsafe orgId before reading or writing anything', async () => {
    const store = await freshStore();
    for (const orgId of ['../other', 'a/b', '', '.', 'x\u0000']) {
      await expect(store.importInventoryCsv(orgId, chunked('EmailAddress\na@b.com\n'))).rejects.toThrow(
        RangeError,
      );
    }
    expect(await committedNames(store, 'inventories')).toEqual([]);
  });

  test('writeInventory, inventoryOwner and readInventory round-trip a request list', async () => {
    const store = await freshStore();
    const mailboxes = Array.from({ length: 10_000 }, (_, i) => ({
      address: `u${i}@contoso.com`,
      sizeBytes: i,
    }));
    const withExtra = [{ address: 'x@contoso.com', tier: 'health' } as MailboxEntry, ...mailboxes];
    const name = await store.writeInventory('contoso', 'req-0001', withExtra);
    expect(name).toBe('_requests/req-0001.ndjson');
    expect(await store.inventoryOwner(name)).toEqual({
      orgId: 'contoso',
      requestId: 'req-0001',
      source: 'request',
    });
    expect(await collect(store.readInventory(name))).toEqual([{ address: 'x@contoso.com' }, ...mailboxes]);
    // Idempotent overwrite.
    await store.writeInventory('contoso', 'req-0001', mailboxes.slice(0, 2));
    expect(await collect(store.readInventory(name))).toEqual(mailboxes.slice(0, 2));

    for (const bad of [
      '_requests/missing.ndjson',
      '../manifests/x.ndjson',
      'requests/req-0001.json',
      'a//b.csv',
      '',
      'x\n.csv',
    ]) {
      expect(await store.inventoryOwner(bad)).toBeNull();
    }
    await expect(collect(store.readInventory('_requests/missing.ndjson'))).rejects.toMatchObject({
      name: 'TriageError',
      code: 'not-found',
    });
    await expect(collect(store.readInventory('../x.ndjson'))).rejects.toMatchObject({
      name: 'TriageError',
      code: 'validation',
    });
    await expect(store.writeInventory('contoso', 'a/b', [])).rejects.toThrow(RangeError);
    await expect(store.writeInventory('a/b', 'req-0002', [])).rejects.toThrow(RangeError);
  });

  test('reads an operator-uploaded CSV with the same validation', async () => {
    const store = await freshStore();
    const container = blobs.getContainerClient(store.containers.inventories);
    const good = 'EmailAddress,Password\r\na@contoso.com,x\r\nb@contoso.com,y\r\n';
    await container.getBlockBlobClient('uploads/good.csv').upload(good, Buffer.byteLength(good));
    // No owner in its metadata: readable, but no organisation's request may use it (see the intake).
    expect(await store.inventoryOwner('uploads/good.csv')).toEqual({});
    expect(await collect(store.readInventory('uploads/good.csv'))).toEqual([
      { address: 'a@contoso.com' },
      { address: 'b@contoso.com' },
    ]);

    const bad = 'EmailAddress\na@contoso.com\nA@contoso.com\nc@contoso.com\n';
    await container.getBlockBlobClient('uploads/bad.csv').upload(bad, Buffer.byteLength(bad));
    const seen: MailboxEntry[] = [];
    await expect(
      (async () => {
        for await (const entry of store.readInventory('uploads/bad.csv')) seen.push(entry);
      })(),
    ).rejects.toMatchObject({
      code: 'validation',
      fields: [{ field: 'line 3: EmailAddress', message: 'duplicate address (first on line 2)' }],
    });
    expect(seen).toEqual([{ address: 'a@contoso.com' }]);

    const noHeader = 'Address\na@contoso.com\n';
    await container.getBlockBlobClient('uploads/no-header.csv').upload(noHeader, noHeader.length);
    await expect(collect(store.readInventory('uploads/no-header.csv'))).rejects.toMatchObject({
      code: 'validation',
    });
    const brokenQuote = 'EmailAddress\na@contoso.com\n"b@contoso.com\nc@contoso.com\n';
    await container.getBlockBlobClient('uploads/broken.csv').upload(brokenQuote, brokenQuote.length);
    await expect(collect(store.readInventory('uploads/broken.csv'))).rejects.toMatchObject({
      code: 'validation',
      fields: [{ message: expect.stringContaining('never closed') }],
    });
    const badNdjson = '{"address":"a@contoso.com"}\n{"address":"nope"}\n';
    await container.getBlockBlobClient('uploads/bad.ndjson').upload(badNdjson, badNdjson.length);
    await expect(collect(store.readInventory('uploads/bad.ndjson'))).rejects.toMatchObject({
      code: 'validation',
      fields: [{ field: 'line 2' }],
    });
  });

  test('writes batch manifests as NDJSON and Exchange CSV, reads them back, overwrites idempotently', async () => {
    const store = await freshStore();
    const batch = [{ address: 'a@contoso.com', sizeBytes: 1 }, { address: "o'neil@contoso.com" }];
    expect(await store.writeBatchManifest('req-7', 1, batch)).toEqual({
      ndjsonBlob: 'req-7/batch-0001.ndjson',
      csvBlob: 'req-7/batch-0001.csv',
    });
    expect(await store.writeBatchManifest('req-7', 12_345, batch.slice(1))).toEqual({
      ndjsonBlob: 'req-7/batch-12345.ndjson',
      csvBlob: 'req-7/batch-12345.csv',
    });
    await store.writeBatchManifest('req-7', 1, batch); // redelivery: same content again
    expect(await store.readBatchManifest('req-7', 1)).toEqual(batch);
    expect(await store.readBatchManifest('req-7', 12_345)).toEqual(batch.slice(1));
    const csvBlob = blobs
      .getContainerClient(store.containers.manifests)
      .getBlockBlobClient('req-7/batch-0001.csv');
    expect((await csvBlob.downloadToBuffer()).toString('utf8')).toBe(
      "EmailAddress\r\na@contoso.com\r\no'neil@contoso.com\r\n",
    );
    expect((await csvBlob.getProperties()).contentType).toBe('text/csv; charset=utf-8');
    expect((await committedNames(store, 'manifests')).sort()).toEqual([
      'req-7/batch-0001.csv',
      'req-7/batch-0001.ndjson',
      'req-7/batch-12345.csv',
      'req-7/batch-12345.ndjson',
    ]);
    await expect(store.readBatchManifest('req-7', 2)).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(store.writeBatchManifest('req-7', -1, batch)).rejects.toThrow(RangeError);
    await expect(store.writeBatchManifest('req-7', 1.5, batch)).rejects.toThrow(RangeError);
    await expect(store.writeBatchManifest('../req', 1, batch)).rejects.toThrow(RangeError);
  });
});
