/**
 * Offline checks of the Bicep itself: every file parses (tree-sitter-bicep), the Azure Verified Modules
 * habits hold, and what the templates deploy is secure by default — read from the templates, evaluated.
 */
import path from 'node:path';
import { BicepFile, Unresolved, type Value } from './bicep';
import { infraDirectory, listBicepFiles, mainBicepPath, readDeployment, type Deployment } from './deployment';

const bicepFiles = listBicepFiles();
let parsed: BicepFile[];
let deployment: Deployment;

beforeAll(async () => {
  parsed = await Promise.all(bicepFiles.map((file) => BicepFile.load(file)));
  deployment = await readDeployment();
});

const relative = (file: string): string => path.relative(infraDirectory, file);

function record(value: Value | undefined): Record<string, Value> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Unresolved) {
    throw new TypeError(`expected an object, got ${String(value)}`);
  }
  return value as Record<string, Value>;
}

/** The evaluated instances of every resource of a type, across main.bicep's modules. */
function resourcesOfType(type: string): { module: string; body: Record<string, Value> }[] {
  const main = deployment.main;
  const found: { module: string; body: Record<string, Value> }[] = [];
  for (const moduleDeclaration of main.bicep.declarationsOf('module')) {
    const module = main.module(moduleDeclaration.name);
    for (const resource of module.bicep.declarationsOf('resource')) {
      if (resource.existing || resource.target?.split('@')[0] !== type) continue;
      for (const instance of module.resourceInstances(resource.name)) {
        found.push({ module: moduleDeclaration.name, body: instance.body });
      }
    }
  }
  return found;
}

describe('Bicep syntax (tree-sitter-bicep)', () => {
  test('finds main.bicep and its modules', () => {
    expect(bicepFiles.map(relative)).toEqual(
      expect.arrayContaining([
        'main.bicep',
        'modules/service-bus.bicep',
        'modules/storage.bicep',
        'modules/function-app.bicep',
        'modules/role-assignments.bicep',
        'modules/monitoring.bicep',
        'modules/alerts.bicep',
        'modules/workbook.bicep',
      ]),
    );
  });

  test.each(bicepFiles.map((file) => [relative(file), file]))(
    '%s parses without a syntax error',
    (_name, file) => {
      const bicep = parsed.find((p) => p.file === file)!;
      expect(bicep.syntaxProblems()).toEqual([]);
    },
  );

  test('the check reports a broken file (it can fail)', async () => {
    const broken = await BicepFile.fromSource(
      'broken.bicep',
      "resource sb 'Microsoft.ServiceBus/namespaces@2024-01-01' = {\n  name: \n  properties: {\n}\n",
    );
    expect(broken.syntaxProblems().length).toBeGreaterThan(0);
  });

  test('every module a template references exists and parses', () => {
    for (const bicep of parsed) {
      for (const module of bicep.declarationsOf('module')) {
        const target = path.resolve(path.dirname(bicep.file), module.target!);
        expect(bicepFiles).toContain(target);
      }
    }
  });
});

describe('Azure Verified Modules habits', () => {
  test('every parameter is described as Required. or Optional., matching whether it has a default', () => {
    const problems: string[] = [];
    for (const bicep of parsed) {
      for (const param of bicep.declarationsOf('param')) {
        const description = param.decorators.find((d) => d.name === 'description')?.argument ?? '';
        const expected = param.value ? 'Optional.' : 'Required.';
        if (!description.startsWith(expected)) {
          problems.push(`${relative(bicep.file)}: param ${param.name} should be described "${expected} …"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every output is described, and none is marked secure', () => {
    const problems: string[] = [];
    for (const bicep of parsed) {
      for (const output of bicep.declarationsOf('output')) {
        if (!output.decorators.some((d) => d.name === 'description')) {
          problems.push(`${relative(bicep.file)}: output ${output.name} has no description`);
        }
        if (output.decorators.some((d) => d.name === 'secure')) {
          problems.push(`${relative(bicep.file)}: output ${output.name} is @secure (a secret in an output)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('no output, by name or by value, carries a key, connection string, password or SAS', () => {
    const secretish =
      /connectionstring|listkeys|primarykey|secondarykey|accountkey|sharedaccess|password|secret|sas\b/i;
    const problems: string[] = [];
    for (const bicep of parsed) {
      for (const output of bicep.declarationsOf('output')) {
        if (secretish.test(output.name) || secretish.test(output.value?.text ?? '')) {
          problems.push(`${relative(bicep.file)}: output ${output.name} = ${output.value?.text}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('no template reads keys (listKeys, listConnectionStrings, listAccountSas, listServiceSas)', () => {
    const readers = ['listKeys', 'listConnectionStrings', 'listAccountSas', 'listServiceSas', 'listSecrets'];
    for (const bicep of parsed) {
      for (const reader of readers) {
        expect(bicep.calls(reader).map((call) => `${relative(bicep.file)}: ${call.text}`)).toEqual([]);
      }
      // Also as a method on a resource symbol (`account.listKeys()`).
      expect(bicep.source).not.toMatch(/\.list(Keys|ConnectionStrings|AccountSas|ServiceSas)\s*\(/);
    }
  });

  test('role assignments live in one module, named guid(scope, principal, role) after their own scope', () => {
    const withRoleAssignments = parsed.filter((bicep) =>
      bicep
        .declarationsOf('resource')
        .some((r) => r.target?.startsWith('Microsoft.Authorization/roleAssignments@')),
    );
    expect(withRoleAssignments.map((b) => relative(b.file))).toEqual(['modules/role-assignments.bicep']);

    const roles = deployment.main.module('roleAssignments');
    let count = 0;
    for (const declaration of roles.bicep.declarationsOf('resource')) {
      if (!declaration.target?.startsWith('Microsoft.Authorization/roleAssignments@')) continue;
      for (const instance of roles.resourceInstances(declaration.name)) {
        count += 1;
        const scopeId = record(instance.body['scope'])['id'];
        const roleId = String(record(instance.body['properties'])['roleDefinitionId']).split('/').pop();
        expect(scopeId).toBeInstanceOf(Unresolved);
        // Repeatable: the same scope, principal and role always produce the same assignment name.
        expect(instance.body['name']).toMatch(
          new RegExp(
            `^guid\\(${escapeRegExp((scopeId as Unresolved).expression)}, .*principalId.*, ${roleId}\\)$`,
          ),
        );
        expect(record(instance.body['properties'])['principalType']).toBe('ServicePrincipal');
      }
    }
    expect(count).toBe(deployment.roleAssignments.length);
    expect(count).toBeGreaterThan(0);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('secure by default (evaluated from the templates)', () => {
  test('Service Bus: local (SAS) auth off, TLS 1.2', () => {
    const namespaces = resourcesOfType('Microsoft.ServiceBus/namespaces');
    expect(namespaces).toHaveLength(1);
    const properties = record(namespaces[0]!.body['properties']);
    expect(properties['disableLocalAuth']).toBe(true);
    expect(properties['minimumTlsVersion']).toBe('1.2');
  });

  test('Storage: shared keys off, TLS 1.2, HTTPS only, no public blobs — on every account', () => {
    const accounts = resourcesOfType('Microsoft.Storage/storageAccounts');
    expect(accounts.length).toBeGreaterThanOrEqual(2);
    for (const account of accounts) {
      const properties = record(account.body['properties']);
      expect(properties['allowSharedKeyAccess']).toBe(false);
      expect(properties['minimumTlsVersion']).toBe('TLS1_2');
      expect(properties['supportsHttpsTrafficOnly']).toBe(true);
      expect(properties['allowBlobPublicAccess']).toBe(false);
    }
  });

  test('Application Insights and Log Analytics: local auth off', () => {
    const components = resourcesOfType('Microsoft.Insights/components');
    expect(components).toHaveLength(1);
    expect(record(components[0]!.body['properties'])['DisableLocalAuth']).toBe(true);
    const workspaces = resourcesOfType('Microsoft.OperationalInsights/workspaces');
    expect(record(record(workspaces[0]!.body['properties'])['features'])['disableLocalAuth']).toBe(true);
  });

  test('Function App: HTTPS only, TLS 1.2, user-assigned identity, no basic-auth publishing', () => {
    const [site] = resourcesOfType('Microsoft.Web/sites');
    const properties = record(site!.body['properties']);
    expect(properties['httpsOnly']).toBe(true);
    expect(record(properties['siteConfig'])['minTlsVersion']).toBe('1.2');
    expect(record(site!.body['identity'])['type']).toBe('UserAssigned');
    const policies = resourcesOfType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => [p.body['name'], record(p.body['properties'])['allow']])).toEqual([
      ['scm', false],
      ['ftp', false],
    ]);
  });

  test('Function App runs on Flex Consumption, Node 20 or 22, with the package deployed through its identity', () => {
    const [plan] = resourcesOfType('Microsoft.Web/serverfarms');
    expect(record(plan!.body['sku'])).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    const [site] = resourcesOfType('Microsoft.Web/sites');
    const config = record(record(site!.body['properties'])['functionAppConfig']);
    const runtime = record(config['runtime']);
    expect(runtime['name']).toBe('node');
    expect(['20', '22']).toContain(runtime['version']);
    const storage = record(record(config['deployment'])['storage']);
    expect(record(storage['authentication'])['type']).toBe('UserAssignedIdentity');
  });

  test('no app setting holds a key or a connection string; the one endpoint locator is paired with Entra auth', () => {
    const problems: string[] = [];
    for (const [name, value] of deployment.appSettings) {
      const text = value instanceof Unresolved ? value.expression : String(value);
      if (/AccountKey=|SharedAccessKey|SharedAccessSignature|listKeys|\.keys\b|primaryKey/i.test(text)) {
        problems.push(`${name} = ${text}`);
      }
      // APPLICATIONINSIGHTS_CONNECTION_STRING only locates the ingestion endpoint: local auth is off (above),
      // so ingestion also needs the Entra token configured by APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
      if (/connection_?string/i.test(name) && name !== 'APPLICATIONINSIGHTS_CONNECTION_STRING') {
        problems.push(`${name} looks like a connection string setting`);
      }
    }
    expect(problems).toEqual([]);
    expect(deployment.appSettings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toMatch(
      /^ClientId=.+;Authorization=AAD$/,
    );
  });

  test('no setting Flex Consumption refuses, and the host storage is identity-based', () => {
    const refused = [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
      'AzureWebJobsStorage',
    ];
    for (const name of refused) expect(deployment.appSettings.has(name)).toBe(false);
    expect(deployment.appSettings.get('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(deployment.appSettings.has('AzureWebJobsStorage__blobServiceUri')).toBe(true);
  });

  test('main.bicep reads the topology with loadJsonContent and deploys at subscription scope for azd', async () => {
    const main = await BicepFile.load(mainBicepPath);
    const loads = main.calls('loadJsonContent').map((call) => call.text);
    expect(loads).toEqual(["loadJsonContent('topology.json')"]);
    expect(main.source).toMatch(/^targetScope = 'subscription'$/m);
  });
});
