/**
 * Identity in the Bicep and azd: the app registration's roles are the code's, the auth settings the code
 * reads are set from the one `auth` parameter, and EasyAuth, when chosen, guards everything but the two
 * anonymous routes. Read from the templates, evaluated offline (./bicep.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settingNames } from '../../shared/config';
import { allRoles } from '../../shared/domain/identity/principal';
import { BicepFile, Unresolved, type Evaluation, type Value } from './bicep';
import { mainBicepPath, projectRoot } from './deployment';

const clientId = '11111111-2222-3333-4444-555555555555';
const tenantId = '99999999-8888-7777-6666-555555555555';

async function deploy(
  auth: Record<string, Value>,
): Promise<{ main: Evaluation; settings: Map<string, Value> }> {
  const main = (await BicepFile.load(mainBicepPath)).evaluate({
    environmentName: 'test',
    location: 'westeurope',
    auth,
  });
  const [site] = main.module('functionApp').resourceInstances('site');
  const properties = site!.body['properties'] as Record<string, Value>;
  const list = (properties['siteConfig'] as Record<string, Value>)['appSettings'] as Array<{
    name: string;
    value: Value;
  }>;
  return { main, settings: new Map(list.map((s) => [s.name, s.value])) };
}

const text = (value: Value | undefined) => (value instanceof Unresolved ? value.expression : value);

describe('the Entra app registration (infra/entra/app-roles.json, scripts/entra-app-registration.sh)', () => {
  const appRoles = JSON.parse(
    readFileSync(path.join(projectRoot, 'infra', 'entra', 'app-roles.json'), 'utf8'),
  ) as Array<{
    id: string;
    value: string;
    allowedMemberTypes: string[];
    isEnabled: boolean;
  }>;

  test('declares exactly the roles the code knows, each with a stable unique id, for users and applications', () => {
    expect(appRoles.map((r) => r.value).sort()).toEqual([...allRoles].sort());
    expect(new Set(appRoles.map((r) => r.id)).size).toBe(appRoles.length);
    for (const role of appRoles) {
      expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(role.allowedMemberTypes.sort()).toEqual(['Application', 'User']);
      expect(role.isEnabled).toBe(true);
    }
  });

  test('azd runs the registration script before provisioning, and the Bicep takes its client id', () => {
    const azure = readFileSync(path.join(projectRoot, 'azure.yaml'), 'utf8');
    expect(azure).toMatch(/preprovision:[\s\S]*run: \.\/scripts\/entra-app-registration\.sh/);
    const parameters = JSON.parse(
      readFileSync(path.join(projectRoot, 'infra', 'main.parameters.json'), 'utf8'),
    );
    expect(parameters.parameters.auth.value).toEqual({
      mode: '${TRIAGE_AUTH_MODE=token}',
      clientId: '${TRIAGE_API_CLIENT_ID}',
    });
  });
});

describe('auth settings', () => {
  test('token mode: the app checks Entra ID v2 tokens of the tenant for the API registration', async () => {
    const { settings, main } = await deploy({ mode: 'token', clientId, tenantId });
    expect(settings.get(settingNames.authMode)).toBe('token');
    expect(text(settings.get(settingNames.authIssuer))).toMatch(new RegExp(`${tenantId}/v2\\.0$`));
    expect(text(settings.get(settingNames.authJwksUri))).toMatch(
      new RegExp(`${tenantId}/discovery/v2\\.0/keys$`),
    );
    expect(settings.get(settingNames.authAudience)).toBe(`${clientId},api://${clientId}`);
    expect(main.module('functionApp').resourceInstances('authSettings')).toEqual([]);
  });

  test('easyauth mode: App Service Authentication guards everything but the anonymous routes, and the app trusts its header', async () => {
    const { settings, main } = await deploy({
      mode: 'easyauth',
      clientId,
      tenantId,
      allowedAudiences: ['api://triage'],
    });
    expect(settings.get(settingNames.authMode)).toBe('easyauth');
    expect(settings.get(settingNames.authIssuer)).toBe('');
    const [authSettings] = main.module('functionApp').resourceInstances('authSettings');
    const properties = authSettings!.body['properties'] as Record<string, Record<string, Value>>;
    expect(properties['globalValidation']).toEqual({
      requireAuthentication: true,
      unauthenticatedClientAction: 'Return401',
      excludedPaths: ['/api/health', '/api/openapi.json'],
    });
    const aad = (properties['identityProviders'] as Record<string, Record<string, Record<string, Value>>>)[
      'azureActiveDirectory'
    ]!;
    expect(aad['registration']!['clientId']).toBe(clientId);
    expect(aad['validation']!['allowedAudiences']).toEqual([clientId, `api://${clientId}`, 'api://triage']);
  });

  test('there is no open mode in Azure: the parameter type allows token and easyauth only', () => {
    const types = readFileSync(path.join(projectRoot, 'infra', 'modules', 'types.bicep'), 'utf8');
    expect(types).toMatch(/mode: 'token' \| 'easyauth'\n/);
  });
});
