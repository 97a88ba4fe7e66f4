/**
 * What infra/main.bicep deploys, read from the Bicep through the evaluator in ./bicep.ts, in the terms the
 * consistency tests compare with the code: Service Bus entities, role assignments, app settings, storage.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BicepFile, Unresolved, type Evaluation, type Value } from './bicep';

export const projectRoot = path.resolve(__dirname, '..', '..');
export const infraDirectory = path.join(projectRoot, 'infra');
export const mainBicepPath = path.join(infraDirectory, 'main.bicep');

/** Built-in role definition ids, from Azure's documentation, to recognise the roles in the Bicep. */
export const builtInRoles = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
} as const;

/** Every .bicep file under infra/, sorted. */
export function listBicepFiles(directory = infraDirectory): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.bicep'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

export interface DeployedSubscription {
  topicName: string;
  name: string;
  properties: Record<string, Value>;
  /** The correlation filter's application properties; null when the subscription keeps its default rule. */
  filter: Record<string, Value> | null;
  ruleName: string | null;
}

export interface RoleAssignment {
  /** Resource name of the scope (`ns/topic/subscription`, `ns/topic`, account, component). */
  scopeName: string;
  scopeType: string;
  roleId: string;
  name: string;
}

export interface Deployment {
  main: Evaluation;
  topics: { name: string; properties: Record<string, Value> }[];
  subscriptions: DeployedSubscription[];
  roleAssignments: RoleAssignment[];
  appSettings: Map<string, Value>;
  alwaysReadyFunctionNames: string[];
  tableNames: string[];
  containerNames: string[];
}

function asRecord(value: Value | undefined): Record<string, Value> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Unresolved) {
    throw new TypeError(`expected an object, got ${String(value)}`);
  }
  return value as Record<string, Value>;
}

function asString(value: Value | undefined): string {
  if (typeof value !== 'string') throw new TypeError(`expected a string, got ${String(value)}`);
  return value;
}

/** `ns/topic/subscription[/rule]` → its last segments. */
function segments(name: Value | undefined, count: number): string[] {
  const parts = asString(name).split('/');
  return parts.slice(parts.length - count);
}

/**
 * Evaluates infra/main.bicep, optionally with a different topology than infra/topology.json
 * (to show that the Bicep follows it), and collects what it deploys.
 * @throws TypeError or RangeError when the Bicep cannot be evaluated (a reference to a missing property, …).
 */
export async function readDeployment(options: { topology?: unknown } = {}): Promise<Deployment> {
  const mainFile = await BicepFile.load(mainBicepPath);
  // Replacing the topology variable is the in-memory equivalent of editing infra/topology.json.
  const main = mainFile.evaluate(
    { environmentName: 'test', location: 'westeurope' },
    options.topology === undefined ? {} : { topology: options.topology as Value },
  );

  const serviceBus = main.module('serviceBus');
  const topics = serviceBus.resourceInstances('topics').map((instance) => ({
    name: segments(instance.body['name'], 1)[0]!,
    properties: asRecord(instance.body['properties']),
  }));
  const rules = serviceBus.resourceInstances('filterRules').map((instance) => {
    const [topicName, name, ruleName] = segments(instance.body['name'], 3);
    const properties = asRecord(instance.body['properties']);
    return { topicName, name, ruleName, properties };
  });
  const subscriptions = serviceBus
    .resourceInstances('topicSubscriptions')
    .map((instance): DeployedSubscription => {
      const [topicName, name] = segments(instance.body['name'], 2) as [string, string];
      const rule = rules.find((r) => r.topicName === topicName && r.name === name);
      const correlation = rule
        ? asRecord(asRecord(rule.properties['correlationFilter'])['properties'])
        : null;
      return {
        topicName,
        name,
        properties: asRecord(instance.body['properties']),
        filter: correlation,
        ruleName: rule?.ruleName ?? null,
      };
    });

  const roles = main.module('roleAssignments');
  const roleAssignments: RoleAssignment[] = [];
  for (const declaration of roles.bicep.declarationsOf('resource')) {
    if (!declaration.target?.startsWith('Microsoft.Authorization/roleAssignments@')) continue;
    for (const instance of roles.resourceInstances(declaration.name)) {
      const scope = asRecord(instance.body['scope']);
      const properties = asRecord(instance.body['properties']);
      const roleDefinitionId = asString(properties['roleDefinitionId']);
      roleAssignments.push({
        scopeName: asString(scope['name']),
        scopeType: asString(scope['type']),
        roleId: roleDefinitionId.split('/').pop()!,
        name: asString(instance.body['name']),
      });
    }
  }

  const functionApp = main.module('functionApp');
  const [site] = functionApp.resourceInstances('site');
  const siteProperties = asRecord(site!.body['properties']);
  const settingsList = asRecord(siteProperties['siteConfig'])['appSettings'];
  const appSettings = new Map<string, Value>();
  for (const setting of settingsList as Value[]) {
    const { name, value } = asRecord(setting);
    appSettings.set(asString(name), value ?? null);
  }
  const scale = asRecord(asRecord(siteProperties['functionAppConfig'])['scaleAndConcurrency']);
  const alwaysReady = (scale['alwaysReady'] as Value[]).map((entry) => asString(asRecord(entry)['name']));
  const alwaysReadyFunctionNames = alwaysReady.map((name) => name.replace(/^function:/, ''));

  const storage = main.module('storage');
  const tableNames = storage.resourceInstances('tables').map((t) => asString(t.body['name']));
  const containerNames = storage.resourceInstances('containers').map((c) => asString(c.body['name']));

  return {
    main,
    topics,
    subscriptions,
    roleAssignments,
    appSettings,
    alwaysReadyFunctionNames,
    tableNames,
    containerNames,
  };
}
