/**
 * The Bicep, the topology, the code and the emulator config agree — each side read from its own source:
 * the Bicep evaluated (./bicep.ts), the Function registrations loaded from the built app the way the
 * Functions worker loads them, the setting names and storage names from the code.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import topologyDocument from '../../infra/topology.json';
import {
  createEmulatorConfig,
  formatEmulatorConfig,
  type EmulatorConfig,
} from '../../infra/local/emulator-config';
import type { FunctionRegistration } from '../../local/host/registrations';
import { BlobArtifactStore } from '../../shared/adapters/blob-artifact-store';
import { tableNames } from '../../shared/adapters/table-stores';
import { settingNames } from '../../shared/config';
import {
  parseTopology,
  subscriptionSettings,
  tierFunctionName,
  workTopics,
  type Topology,
} from '../../shared/domain/topology';
import { builtInRoles, projectRoot, readDeployment, type Deployment } from './deployment';

const appEntry = path.join(projectRoot, 'dist', 'functions', 'index.js');
const registrationsModule = path.join(projectRoot, 'dist', 'local', 'host', 'registrations.js');
const emulatorConfigPath = path.join(projectRoot, 'infra', 'local', 'config.json');

const topology = parseTopology(topologyDocument);
let deployment: Deployment;
let registrations: FunctionRegistration[];

beforeAll(async () => {
  deployment = await readDeployment();
  registrations = readRegistrations();
});

/**
 * The built app's registrations (`npm test` builds before jest), read by the local host's loader in a plain
 * Node process: under jest, `require` goes through jest's registry, which never offers the app the
 * `@azure/functions-core` module, and the library would switch to test mode and register nothing.
 */
function readRegistrations(): FunctionRegistration[] {
  const script = `
    const { loadRegistrations } = require(process.argv[1]);
    const registrations = loadRegistrations(process.argv[2]).map(({ name, trigger }) => ({ name, trigger }));
    process.stdout.write(JSON.stringify(registrations));`;
  const output = execFileSync(process.execPath, ['-e', script, registrationsModule, appEntry], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return JSON.parse(output) as FunctionRegistration[];
}

const serviceBusTriggers = (): FunctionRegistration[] =>
  registrations.filter((r) => r.trigger.type === 'serviceBusTrigger');

/** The Functions a topology calls for (one per work topic × tier) that the app does not register on their subscription. */
function missingTierFunctions(expected: Topology, registered: FunctionRegistration[]): string[] {
  const missing: string[] = [];
  for (const topic of workTopics(expected)) {
    for (const subscription of topic.subscriptions) {
      const tier = subscription.filter?.[expected.tierProperty];
      if (!tier) continue;
      const name = tierFunctionName(topic, tier);
      const found = registered.find(
        (r) =>
          r.name === name &&
          r.trigger.type === 'serviceBusTrigger' &&
          r.trigger.topicName === topic.name &&
          r.trigger.subscriptionName === subscription.name,
      );
      if (!found) missing.push(name);
    }
  }
  return missing;
}

/** The (topic, subscription, filter) triples of the emulator config, to compare with the Bicep. */
function emulatorEntities(config: EmulatorConfig): { topicName: string; name: string; filter: unknown }[] {
  return config.UserConfig.Namespaces.flatMap((ns) =>
    ns.Topics.flatMap((topic) =>
      topic.Subscriptions.map((subscription) => ({
        topicName: topic.Name,
        name: subscription.Name,
        filter: subscription.Rules[0]?.Properties.CorrelationFilter.Properties ?? null,
      })),
    ),
  );
}

/** A copy of the topology document with a fifth tier routed on every work topic, as a developer would add it. */
function withFifthTier(): unknown {
  const document = structuredClone(topologyDocument) as unknown as {
    tiers: { name: string; rank: number; description: string }[];
    topics: { purpose: string; subscriptions: { name: string; filter: Record<string, string> | null }[] }[];
  };
  document.tiers.push({ name: 'research', rank: 5, description: 'Research networks' });
  for (const topic of document.topics) {
    if (topic.purpose === 'work')
      topic.subscriptions.push({ name: 'research', filter: { tier: 'research' } });
  }
  return document;
}

describe('Service Bus entities: infra/topology.json is what the Bicep deploys', () => {
  test('the topology main.bicep loads is infra/topology.json', () => {
    expect(deployment.main.get('topology')).toEqual(topologyDocument);
  });

  test('every topic, with the topology’s settings, and no other', () => {
    expect(deployment.topics.map((t) => t.name)).toEqual(topology.topics.map((t) => t.name));
    for (const topic of topology.topics) {
      const deployed = deployment.topics.find((t) => t.name === topic.name)!;
      expect(deployed.properties).toMatchObject(topic.settings);
    }
  });

  test('every subscription, with its settings and its correlation filter, and no other', () => {
    const expected = topology.topics.flatMap((topic) =>
      topic.subscriptions.map((subscription) => ({
        topicName: topic.name,
        name: subscription.name,
        properties: subscriptionSettings(topology, subscription),
        filter: subscription.filter,
      })),
    );
    expect(deployment.subscriptions.map((s) => `${s.topicName}/${s.name}`)).toEqual(
      expected.map((s) => `${s.topicName}/${s.name}`),
    );
    for (const subscription of expected) {
      const deployed = deployment.subscriptions.find(
        (s) => s.topicName === subscription.topicName && s.name === subscription.name,
      )!;
      expect(deployed.properties).toMatchObject(subscription.properties);
      expect(deployed.filter).toEqual(subscription.filter);
    }
  });

  test('a filtered subscription replaces its match-all $Default rule (an extra rule would let every tier through)', () => {
    for (const subscription of deployment.subscriptions) {
      expect(subscription.ruleName).toBe(subscription.filter ? '$Default' : null);
    }
  });
});

describe('Functions: every Service Bus trigger is deployable', () => {
  test('the app registers Service Bus triggers (the built app was found)', () => {
    expect(serviceBusTriggers().length).toBeGreaterThan(0);
  });

  // A dead-letter Function reads `<subscription>/$DeadLetterQueue`: the subscription's own entity and role.
  const subscriptionOf = (trigger: { subscriptionName?: unknown }): string =>
    String(trigger.subscriptionName).replace(/\/\$DeadLetterQueue$/, '');

  test('every trigger’s topic and subscription exist in the topology and in the Bicep', () => {
    for (const { name, trigger } of serviceBusTriggers()) {
      const topic = topology.topics.find((t) => t.name === trigger.topicName);
      expect({ name, topic: topic?.name }).toEqual({ name, topic: trigger.topicName });
      expect(topic!.subscriptions.map((s) => s.name)).toContain(subscriptionOf(trigger));
      expect(deployment.subscriptions.map((s) => `${s.topicName}/${s.name}`)).toContain(
        `${trigger.topicName}/${subscriptionOf(trigger)}`,
      );
    }
  });

  test('every trigger’s connection is an identity-based connection the Bicep sets', () => {
    for (const { trigger } of serviceBusTriggers()) {
      const connection = String(trigger.connection);
      expect(deployment.appSettings.has(connection)).toBe(false); // no connection string
      expect(deployment.appSettings.has(`${connection}__fullyQualifiedNamespace`)).toBe(true);
      expect(deployment.appSettings.get(`${connection}__credential`)).toBe('managedidentity');
      expect(deployment.appSettings.has(`${connection}__clientId`)).toBe(true);
    }
  });

  test('every trigger has the Data Receiver role on exactly its subscription', () => {
    for (const { name, trigger } of serviceBusTriggers()) {
      const receivers = deployment.roleAssignments.filter(
        (a) =>
          a.roleId === builtInRoles.serviceBusDataReceiver &&
          a.scopeType === 'Microsoft.ServiceBus/namespaces/topics/subscriptions' &&
          a.scopeName.endsWith(`/${trigger.topicName}/${subscriptionOf(trigger)}`),
      );
      expect({ name, receivers: receivers.length }).toEqual({ name, receivers: 1 });
    }
    // Receivers only where something receives: no namespace-wide or unused grants.
    const receiverScopes = deployment.roleAssignments
      .filter((a) => a.roleId === builtInRoles.serviceBusDataReceiver)
      .map((a) => a.scopeName.split('/').slice(-2).join('/'));
    expect(receiverScopes.sort()).toEqual(
      [
        ...new Set(serviceBusTriggers().map((r) => `${r.trigger.topicName}/${subscriptionOf(r.trigger)}`)),
      ].sort(),
    );
  });

  test('the app can send to every topic (Data Sender scoped to each topic)', () => {
    const senderScopes = deployment.roleAssignments
      .filter((a) => a.roleId === builtInRoles.serviceBusDataSender)
      .map((a) => [a.scopeType, a.scopeName]);
    expect(senderScopes).toEqual(
      topology.topics.map((t) => ['Microsoft.ServiceBus/namespaces/topics', t.name]),
    );
  });

  test('every work topic × tier has its Function listening on its subscription', () => {
    expect(missingTierFunctions(topology, registrations)).toEqual([]);
  });

  test('the always-ready instances go to the registered tier-1 Functions', () => {
    const rankOne = topology.tiers.filter((t) => t.rank === Math.min(...topology.tiers.map((x) => x.rank)));
    const expected = workTopics(topology).flatMap((topic) =>
      rankOne.map((tier) => tierFunctionName(topic, tier.name)),
    );
    expect(deployment.alwaysReadyFunctionNames.sort()).toEqual(expected.sort());
    const registered = registrations.map((r) => r.name);
    for (const name of deployment.alwaysReadyFunctionNames) expect(registered).toContain(name);
  });
});

describe('App settings and storage: what the code reads, the Bicep provides', () => {
  test('every setting in shared/config.ts settingNames is set (connections through their identity settings)', () => {
    const missing: string[] = [];
    for (const name of Object.values(settingNames)) {
      const identityBased = [...deployment.appSettings.keys()].filter((key) => key.startsWith(`${name}__`));
      if (identityBased.length > 0) {
        // An identity-based connection: the identity and the credential type must come with the endpoint.
        expect(deployment.appSettings.get(`${name}__credential`)).toBe('managedidentity');
        expect(deployment.appSettings.has(`${name}__clientId`)).toBe(true);
        expect(deployment.appSettings.has(name)).toBe(false);
      } else if (!deployment.appSettings.has(name)) {
        missing.push(name);
      }
    }
    expect(missing).toEqual([]);
  });

  test('the storage connection gives both endpoints the code needs', () => {
    expect(deployment.appSettings.has(`${settingNames.storageConnection}__tableServiceUri`)).toBe(true);
    expect(deployment.appSettings.has(`${settingNames.storageConnection}__blobServiceUri`)).toBe(true);
  });

  test('the Bicep sets no TRIAGE_ setting the code does not read (a typo would be silently ignored)', () => {
    const known = new Set<string>(Object.values(settingNames));
    const unknown = [...deployment.appSettings.keys()].filter(
      (key) => key.startsWith('TRIAGE_') && !known.has(key),
    );
    expect(unknown).toEqual([]);
  });

  test('the data account has exactly the tables and containers the adapters use', () => {
    expect([...deployment.tableNames].sort()).toEqual(Object.values(tableNames()).sort());
    // Constructing the store does no I/O; it names its containers.
    const store = new BlobArtifactStore(new BlobServiceClient('http://127.0.0.1:9/devstoreaccount1'));
    expect([...deployment.containerNames].sort()).toEqual(Object.values(store.containers).sort());
  });
});

describe('The official emulator config (infra/local/config.json)', () => {
  test('equals what `npm run infra:emulator-config` generates from infra/topology.json', () => {
    const committed = readFileSync(emulatorConfigPath, 'utf8');
    expect(committed).toBe(formatEmulatorConfig(createEmulatorConfig(topology)));
  });

  test('declares the same topics, subscriptions and filters as the Bicep', () => {
    const committed = JSON.parse(readFileSync(emulatorConfigPath, 'utf8')) as EmulatorConfig;
    expect(emulatorEntities(committed)).toEqual(
      deployment.subscriptions.map((s) => ({ topicName: s.topicName, name: s.name, filter: s.filter })),
    );
  });

  test('stays within the emulator’s limits (it refuses longer TTLs, windows and locks)', () => {
    const config = createEmulatorConfig(topology);
    for (const topic of config.UserConfig.Namespaces[0]!.Topics) {
      expect(topic.Properties.DefaultMessageTimeToLive).toMatch(/^PT([1-5]?\dM|1H)$/);
      expect(topic.Properties.DuplicateDetectionHistoryTimeWindow).toMatch(/^PT([1-5]M|[1-5]?\dS)$/);
      for (const subscription of topic.Subscriptions) {
        expect(subscription.Properties.MaxDeliveryCount).toBeLessThanOrEqual(10);
        expect(subscription.Properties.LockDuration).toMatch(/^PT([1-5]M|[1-5]?\dS)$/);
      }
    }
  });
});

describe('Adding a tier to the topology', () => {
  const fifth = withFifthTier();
  const fifthTopology = parseTopology(fifth);

  test('the Bicep follows by itself: subscriptions, filters and receiver roles for the new tier', async () => {
    const followed = await readDeployment({ topology: fifth });
    for (const topic of workTopics(fifthTopology)) {
      const subscription = followed.subscriptions.find(
        (s) => s.topicName === topic.name && s.name === 'research',
      );
      expect(subscription?.filter).toEqual({ tier: 'research' });
      expect(
        followed.roleAssignments.some(
          (a) =>
            a.roleId === builtInRoles.serviceBusDataReceiver &&
            a.scopeName.endsWith(`/${topic.name}/research`),
        ),
      ).toBe(true);
    }
    expect(followed.subscriptions).toHaveLength(
      deployment.subscriptions.length + workTopics(fifthTopology).length,
    );
  });

  test('the committed emulator config no longer matches until it is regenerated', () => {
    const committed = readFileSync(emulatorConfigPath, 'utf8');
    const regenerated = formatEmulatorConfig(createEmulatorConfig(fifthTopology));
    expect(regenerated).not.toBe(committed);
    expect(emulatorEntities(JSON.parse(regenerated) as EmulatorConfig)).toContainEqual({
      topicName: 'provisioning',
      name: 'research',
      filter: { tier: 'research' },
    });
  });

  test('the Functions check fails until the app registers the new tier’s Functions', () => {
    const registeredNow = registrations;
    expect(missingTierFunctions(fifthTopology, registeredNow).sort()).toEqual(
      workTopics(fifthTopology)
        .map((topic) => tierFunctionName(topic, 'research'))
        .sort(),
    );
  });
});
