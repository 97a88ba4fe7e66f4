import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { hostname } from 'node:os';
import { createApp, type TokenVerifier, type TriageApp } from './app/index';
import type { ArtifactStore } from './app/ports/artifact-store';
import type { HealthProbe } from './app/ports/publisher';
import type { AuthConfig, IdentityOptions, TriageConfig } from './config';
import { TriageError } from './domain/errors';
import { topology } from './topology';
import { BlobArtifactStore } from './adapters/blob-artifact-store';
import { CachedMembershipStore } from './adapters/cached-memberships';
import { createExecutor } from './adapters/executors/index';
import { HttpWebhookSender } from './adapters/http-webhook-sender';
import { JwtVerifier } from './adapters/jwt-verifier';
import { OperationCounts } from './adapters/operation-counts';
import { ServiceBusPublisher } from './adapters/servicebus-publisher';
import { writeFileSync } from 'node:fs';
import { createTableStores, type TableStores } from './adapters/table-stores';
import { AppInsightsMetricsSink } from './adapters/app-insights-metrics';
import { mapStorageError } from './adapters/storage-errors';

/** Identity-based connections: `managedidentity` with an optional client id, or the default chain. */
export function credentialFor(options: IdentityOptions): TokenCredential {
  if (options.credential?.toLowerCase() === 'managedidentity') {
    return options.clientId
      ? new ManagedIdentityCredential({ clientId: options.clientId })
      : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(options.clientId ? { managedIdentityClientId: options.clientId } : {});
}

/** The token verifier the auth mode calls for; outside `token` mode no bearer token is ever accepted. */
export function tokenVerifierFor(auth: AuthConfig): TokenVerifier {
  if (auth.mode === 'token') {
    return new JwtVerifier({
      issuers: auth.issuers,
      audiences: auth.audiences,
      jwksUri: auth.jwksUri,
      clockToleranceInSeconds: auth.clockToleranceInSeconds,
    });
  }
  return {
    verify: () =>
      Promise.reject(new TriageError('unauthenticated', `bearer tokens are not used in ${auth.mode} mode`)),
  };
}

export interface Runtime {
  app: TriageApp;
  stores: TableStores;
  artifacts: ArtifactStore;
  publisher: ServiceBusPublisher;
  /** Creates tables and containers once; every use-case awaits it. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Builds the storage clients for either connection kind. */
export function storageClients(
  config: TriageConfig,
  counts?: OperationCounts,
): {
  tableClient: (name: string) => TableClient;
  blobServiceClient: BlobServiceClient;
} {
  const { storage } = config;
  const counted = counts
    ? { additionalPolicies: [{ policy: counts.tablePolicy() as never, position: 'perCall' as const }] }
    : {};
  if (storage.kind === 'connectionString') {
    const insecure = /^UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(
      storage.connectionString,
    );
    const connectionString = /^UseDevelopmentStorage=true/i.test(storage.connectionString)
      ? 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;'
      : storage.connectionString;
    return {
      tableClient: (name) =>
        TableClient.fromConnectionString(connectionString, name, {
          allowInsecureConnection: insecure,
          ...counted,
        }),
      blobServiceClient: BlobServiceClient.fromConnectionString(connectionString),
    };
  }
  const credential = credentialFor(storage);
  return {
    tableClient: (name) => new TableClient(storage.tableServiceUri, name, credential, counted),
    blobServiceClient: new BlobServiceClient(storage.blobServiceUri, credential),
  };
}

/** Wires the adapters into the use-cases: the process's composition root. */
export function createRuntime(
  config: TriageConfig,
  log?: (level: 'info' | 'warn' | 'error', message: string) => void,
): Runtime {
  // Local measurement (the README's cost model): storage operations counted and written to a file every second.
  const counts = config.operationCountsFile ? new OperationCounts() : undefined;
  const countsFile = config.operationCountsFile;
  const countsTimer =
    counts && countsFile
      ? setInterval(() => writeFileSync(countsFile, JSON.stringify(counts.snapshot)), 1000)
      : undefined;
  countsTimer?.unref();
  const { tableClient, blobServiceClient } = storageClients(config, counts);
  const stores = createTableStores(tableClient, config.storagePrefix);
  const blobStore = new BlobArtifactStore(
    blobServiceClient,
    config.storagePrefix ? { containerPrefix: config.storagePrefix } : {},
  );
  const artifacts = counts ? counts.countArtifacts(blobStore) : blobStore;
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
  const { telemetry } = config;
  const metrics = telemetry
    ? new AppInsightsMetricsSink({
        connectionString: telemetry.connectionString,
        ...(telemetry.entraAuth
          ? {
              credential: credentialFor({
                credential: 'managedidentity',
                ...(telemetry.clientId ? { clientId: telemetry.clientId } : {}),
              }),
            }
          : {}),
      })
    : undefined;
  // Storage down at cold start is an outage (503 with Retry-After), not an unexpected error.
  const ready = Promise.all([stores.ensureTables(), artifacts.ensureContainers()]).then(
    () => undefined,
    (err: unknown) => mapStorageError(err, 'creating tables and containers'),
  );
  ready.catch(() => undefined);
  // A fast clock (local demos and scenarios): time runs `speed` times faster from the anchor on.
  const { speed, anchorMs = Date.now() } = config.clock;
  const clock = speed === 1 ? undefined : (): Date => new Date(anchorMs + (Date.now() - anchorMs) * speed);
  const app = createApp({
    ...(clock ? { clock } : {}),
    requests: stores.requests,
    items: stores.items,
    events: stores.events,
    orgs: stores.orgs,
    idempotency: stores.idempotency,
    activity: stores.activity,
    deadLetters: stores.deadLetters,
    holds: stores.holds,
    mailboxClaims: stores.mailboxClaims,
    pools: stores.pools,
    slots: stores.slots,
    programme: stores.programme,
    memberships: new CachedMembershipStore(stores.memberships, {
      ttlInMs: config.auth.membershipCacheInSeconds * 1000,
    }),
    audit: stores.audit,
    tokens: tokenVerifierFor(config.auth),
    artifacts,
    publisher,
    executor: createExecutor(config.executor),
    ...(metrics ? { metrics } : {}),
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
      // 200 batches of 100: 20,000 mailboxes, a few seconds of manifest writes per invocation.
      planChunkBatches: Math.max(1, Math.floor(20_000 / config.batchSize)),
      retry: config.retry,
      operations: config.operations,
      staleAfterMs: config.reconcileStaleAfterMs,
      webhookAllowPrivate: config.webhooks.allowPrivate,
      auth: { mode: config.auth.mode, orgsClaim: config.auth.orgsClaim },
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
  return {
    app,
    stores,
    artifacts,
    publisher,
    ready,
    close: async () => {
      await Promise.all([publisher.close(), metrics?.close()]);
    },
  };
}
