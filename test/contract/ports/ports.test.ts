import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../../local/azurite';
import { BlobArtifactStore } from '../../../shared/adapters/blob-artifact-store';
import { createTableStores } from '../../../shared/adapters/table-stores';
import { createMemoryStores } from '../../support/in-memory-ports';
import { MemorySlotStore } from '../../support/in-memory-slot-store';
import { portContract, type PortsUnderTest } from './scenarios';
import { slotStoreContract } from './slot-scenarios';

portContract('in-memory fakes', createMemoryStores);
slotStoreContract('in-memory fake', () => new MemorySlotStore());

let azurite: RunningAzurite;
let adapters: PortsUnderTest;

beforeAll(async () => {
  azurite = await startAzurite({ blobPort: 0 });
  const stores = createTableStores(
    (name) =>
      TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true }),
    'contract',
  );
  const artifacts = new BlobArtifactStore(BlobServiceClient.fromConnectionString(azurite.connectionString), {
    containerPrefix: 'contract-',
  });
  await Promise.all([stores.ensureTables(), artifacts.ensureContainers()]);
  adapters = { ...stores, artifacts };
});
afterAll(async () => {
  await azurite?.close();
});

portContract('Table and Blob adapters on Azurite', () => adapters);
slotStoreContract('Table adapter on Azurite', () => adapters.slots!);
