import { loadConfig, settingNames } from '../../shared/config';

// Token mode is the default: its three settings are part of every valid configuration.
const tokenAuth = {
  [settingNames.authIssuer]: 'https://login.microsoftonline.com/00000000-0000-0000-0000-00000000000a/v2.0',
  [settingNames.authAudience]: '00000000-0000-0000-0000-00000000000b',
  [settingNames.authJwksUri]:
    'https://login.microsoftonline.com/00000000-0000-0000-0000-00000000000a/discovery/v2.0/keys',
};

const local = {
  ...tokenAuth,
  [settingNames.serviceBusConnection]:
    'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true;',
  [settingNames.storageConnection]: 'UseDevelopmentStorage=true',
};

describe('configuration', () => {
  test('connection strings with defaults', () => {
    const config = loadConfig(local);
    expect(config.serviceBus).toEqual({
      kind: 'connectionString',
      connectionString: local.ServiceBusConnection,
    });
    expect(config.storage.kind).toBe('connectionString');
    expect(config).toMatchObject({
      batchSize: 100,
      itemConcurrency: 16,
      maxBodyBytes: 4 * 1024 * 1024,
      executor: { type: 'simulated' },
    });
  });

  test('identity-based connections use the Functions __ suffixes', () => {
    const config = loadConfig({
      ...tokenAuth,
      ServiceBusConnection__fullyQualifiedNamespace: 'triage.servicebus.windows.net',
      ServiceBusConnection__credential: 'managedidentity',
      ServiceBusConnection__clientId: '00000000-0000-0000-0000-000000000001',
      TriageStorage__tableServiceUri: 'https://st.table.core.windows.net',
      TriageStorage__blobServiceUri: 'https://st.blob.core.windows.net',
    });
    expect(config.serviceBus).toEqual({
      kind: 'identity',
      fullyQualifiedNamespace: 'triage.servicebus.windows.net',
      credential: 'managedidentity',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(config.storage).toMatchObject({
      kind: 'identity',
      tableServiceUri: 'https://st.table.core.windows.net',
    });
  });

  test('names every missing or invalid setting in one message', () => {
    expect(() => loadConfig({})).toThrow(/ServiceBusConnection[\s\S]*TriageStorage/);
    const bad = () => loadConfig({ ...local, TRIAGE_BATCH_SIZE: 'many', TRIAGE_EXECUTOR: 'http' });
    expect(bad).toThrow(/TRIAGE_BATCH_SIZE="many"/);
    expect(bad).toThrow(/TRIAGE_EXECUTOR_URL is missing/);
    expect(() => loadConfig({ ...local, TRIAGE_EXECUTOR_TRANSIENT_FAILURE_RATE: '1.5' })).toThrow(
      /TRIAGE_EXECUTOR_TRANSIENT_FAILURE_RATE/,
    );
  });

  test('http executor settings', () => {
    const config = loadConfig({
      ...local,
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: 'http://127.0.0.1:9/x',
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '1',
    });
    expect(config.executor).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:9/x',
      timeoutMs: 10_000,
      maxAttempts: 1,
      backoffMs: 200,
    });
  });

  test('execution slots: on by default for the local stack, off at 0, reservations validated by tier and total', () => {
    expect(loadConfig(local).executionSlots).toEqual({
      capacity: 64,
      reserved: { health: 16 },
      leaseDurationMs: 15_000,
      maxWaitMs: 30_000,
    });
    expect(loadConfig({ ...local, TRIAGE_EXECUTION_SLOTS: '0' }).executionSlots).toBeUndefined();
    expect(loadConfig({ ...local, TRIAGE_EXECUTION_SLOTS: '8' }).executionSlots?.reserved).toEqual({
      health: 2,
    });
    expect(
      loadConfig({
        ...local,
        TRIAGE_EXECUTION_SLOTS: '300',
        TRIAGE_EXECUTION_SLOTS_RESERVED: '{"health":40,"government":20}',
        TRIAGE_EXECUTION_SLOT_LEASE_SECONDS: '3',
        TRIAGE_EXECUTION_SLOT_MAX_WAIT_SECONDS: '0.5',
      }).executionSlots,
    ).toEqual({
      capacity: 300,
      reserved: { health: 40, government: 20 },
      leaseDurationMs: 3_000,
      maxWaitMs: 500,
    });
    expect(() => loadConfig({ ...local, TRIAGE_EXECUTION_SLOTS_RESERVED: '{"heath":4}' })).toThrow(
      /TRIAGE_EXECUTION_SLOTS_RESERVED/,
    );
    expect(() => loadConfig({ ...local, TRIAGE_EXECUTION_SLOTS_RESERVED: 'health=4' })).toThrow(/not JSON/);
    expect(() =>
      loadConfig({
        ...local,
        TRIAGE_EXECUTION_SLOTS: '10',
        TRIAGE_EXECUTION_SLOTS_RESERVED: '{"health":11}',
      }),
    ).toThrow(/reserves 11 slots, more than TRIAGE_EXECUTION_SLOTS \(10\)/);
  });
});
