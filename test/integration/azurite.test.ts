import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAzurite } from '../../local/azurite';

describe('Azurite launcher', () => {
  test('starts in memory on free ports and serves the unmodified Table and Blob SDKs', async () => {
    const azurite = await startAzurite({ blobPort: 0 });
    try {
      const table = TableClient.fromConnectionString(azurite.connectionString, 'launcher', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
      expect((await table.getEntity<{ value: number }>('p', 'r')).value).toBe(42);

      // Blob calls fail with 400 InvalidHeaderValue unless Azurite runs with --skipApiVersionCheck.
      const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
      const container = blobs.getContainerClient('launcher');
      await container.create();
      await container.getBlockBlobClient('hello.txt').upload('hello', 5);
      expect((await container.getBlockBlobClient('hello.txt').downloadToBuffer()).toString()).toBe('hello');
    } finally {
      await azurite.close();
    }
    expect(azurite.process.exitCode !== null || azurite.process.signalCode !== null).toBe(true);
  });

  test('names the port when it is already taken', async () => {
    const first = await startAzurite({ blobPort: 0 });
    try {
      await expect(startAzurite({ blobPort: first.blobPort, queuePort: 0, tablePort: 0 })).rejects.toThrow(
        new RegExp(`port ${first.blobPort} is already in use`),
      );
    } finally {
      await first.close();
    }
  });

  test('persists to a folder when asked', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'triage-azurite-'));
    try {
      const azurite = await startAzurite({ blobPort: 0, location: folder });
      const table = TableClient.fromConnectionString(azurite.connectionString, 'persisted', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await azurite.close();
      expect(readdirSync(folder).length).toBeGreaterThan(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
