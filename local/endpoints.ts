/**
 * The local stack's well-known ports and credentials, in one place (tests and `npm start` both read them).
 * The account name and key are Azurite's published development credentials, not secrets.
 */
export const defaultPorts = {
  blob: 10000,
  queue: 10001,
  table: 10002,
  serviceBus: 5672,
  serviceBusMetrics: 5673,
  functionsHost: 7071,
} as const;

export const azuriteAccountName = 'devstoreaccount1';
export const azuriteAccountKey =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A storage connection string for an Azurite instance listening on these ports of 127.0.0.1. */
export function azuriteConnectionString(ports: { blob: number; queue: number; table: number }): string {
  const base = `http://127.0.0.1`;
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${azuriteAccountName}`,
    `AccountKey=${azuriteAccountKey}`,
    `BlobEndpoint=${base}:${ports.blob}/${azuriteAccountName}`,
    `QueueEndpoint=${base}:${ports.queue}/${azuriteAccountName}`,
    `TableEndpoint=${base}:${ports.table}/${azuriteAccountName}`,
    '',
  ].join(';');
}

/** A Service Bus connection string the unmodified SDK accepts for the local broker (no TLS, any key). */
export function localServiceBusConnectionString(port: number): string {
  return `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
}
