import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { hostname } from 'node:os';
import { createApp, type TriageApp } from './app/index';
import type { HealthProbe } from './app/ports/publisher';
import type { IdentityOptions, TriageConfig } from './config';
import { topology } from './topology';
import { BlobArtifactStore } from './adapters/blob-artifact-store';
import { createExecutor } from './adapters/executors/index';
import { HttpWebhookSender } from './adapters/http-webhook-sender';
import { ServiceBusPublisher } from './adapters/servicebus-publisher';
import { createTableStores, type TableStores } from './adapters/table-stores';

/** Identity-based connections: `managedidentity` with an optional client id, or the default chain. */
export function credentialFor(options: IdentityOptions): TokenCredential {
  if (options.credential?.toLowerCase() === 'managedidentity') {
    return options.clientId
      ? new ManagedIdentityCredential({ clientId: options.clientId })
      : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(options.clientId ? { managedIdentityClientId: options.clientId } : {});
}

export interface Runtime {
  app: TriageApp;
  stores: TableStores;
  artifacts: BlobArtifactStore;
  publisher: ServiceBusPublisher;
  /** Creates tables and containers once; every use-case awaits it. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Builds the storage clients for either connection kind. */
export function storageClients(config: TriageConfig): {
  tableClient: (name: string) => TableClient;
  blobServiceClient: BlobServiceClient;
} {
  const { storage } = config;
  if (storage.kind === 'connectionString') {
    const insecure = /^UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(
      storage.connectionString,
    );
    const connectionString = /^UseDevelopmentStorage=true/i.test(storage.connectionString)
      ? 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;'
      : storage.connectionString;
    return {
      tableClient: (name) =>
        TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: insecure }),
      blobServiceClient: BlobServiceClient.fromConnectionString(connectionString),
    };
  }
  const credential = credentialFor(storage);
  return {
    tableClient: (name) => new TableClient(storage.tableServiceUri, name, credential),
    blobServiceClient: new BlobServiceClient(storage.blobServiceUri, credential),
  };
}

/** Wires the adapters into the use-cases: the process's composition root. */
export function createRuntime(
  config: TriageConfig,
  log?: (level: 'info' | 'warn' | 'error', message: string) => void,
): Runtime {
  const { tableClient, blobServiceClient } = storageClients(config);
  const stores = createTableStores(tableClient, config.storagePrefix);
  const artifacts = new BlobArtifactStore(
    blobServiceClient,
    config.storagePrefix ? { containerPrefix: config.storagePrefix } : {},
  );
  const publisher = new ServiceBusPublisher(
    config.serviceBus.kind === 'connectionString'
      ? { connectionString: config.serviceBus.connectionString }
      : {
          fullyQualifiedNamespace: config.serviceBus.fullyQualifiedNamespace,
          credential: credentialFor(config.serviceBus),
        },
  );
  const storageProbe: HealthProbe = {
    name: 'storage',
    check: async () => {
      await stores.orgs.get('health-probe');
    },
  };
  const ready = Promise.all([stores.ensureTables(), artifacts.ensureContainers()]).then(() => undefined);
  ready.catch(() => undefined);
  const app = createApp({
    requests: stores.requests,
    items: stores.items,
    events: stores.events,
    orgs: stores.orgs,
    idempotency: stores.idempotency,
    pools: stores.pools,
    slots: stores.slots,
    artifacts,
    publisher,
    executor: createExecutor(config.executor),
    ...(config.webhooks.secret
      ? {
          webhooks: new HttpWebhookSender({
            secret: config.webhooks.secret,
            allowPrivate: config.webhooks.allowPrivate,
          }),
        }
      : {}),
    topology,
    settings: {
      batchSize: config.batchSize,
      itemConcurrency: config.itemConcurrency,
      webhookAllowPrivate: config.webhooks.allowPrivate,
      ...(config.executionSlots
        ? {
            executionSlots: {
              spec: { capacity: config.executionSlots.capacity, reserved: config.executionSlots.reserved },
              leaseDurationMs: config.executionSlots.leaseDurationMs,
              maxWaitMs: config.executionSlots.maxWaitMs,
              instanceId: process.env.WEBSITE_INSTANCE_ID ?? `${hostname()}:${process.pid}`,
            },
          }
        : {}),
    },
    probes: [storageProbe, publisher.probe('notifications')],
    ...(log ? { log } : {}),
  });
  return { app, stores, artifacts, publisher, ready, close: () => publisher.close() };
}
