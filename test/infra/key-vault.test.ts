import { BicepFile, type Value } from './bicep';
import { mainBicepPath } from './deployment';

const keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6';

async function deploy(params: Record<string, Value>) {
  const main = (await BicepFile.load(mainBicepPath)).evaluate(
    { environmentName: 'test', location: 'westeurope', ...params },
    {},
  );
  const site = main.module('functionApp').resourceInstances('site')[0]!;
  const siteConfig = (site.body['properties'] as Record<string, Value>)['siteConfig'] as Record<
    string,
    Value
  >;
  const list = siteConfig['appSettings'] as Array<Record<string, Value>>;
  const settings = new Map(list.map((s) => [String(s['name']), s['value']]));
  return { main, site, settings };
}

describe('the webhook signing secret in Key Vault (offline Bicep checks)', () => {
  test('with a secret: stored in an RBAC, purge-protected vault, read by the app through a Key Vault reference with its identity', async () => {
    const { main, site, settings } = await deploy({ webhookSigningSecret: 'a-long-enough-signing-secret' });
    const vault = main.module('keyVault').resourceInstances('vault')[0]!;
    const properties = vault.body['properties'] as Record<string, Value>;
    expect(properties).toMatchObject({ enableRbacAuthorization: true, enablePurgeProtection: true });
    expect(main.module('keyVault').resourceInstances('webhookSecret')).toHaveLength(1);
    expect(String(settings.get('TRIAGE_WEBHOOK_SECRET'))).toMatch(
      /^@Microsoft\.KeyVault\(VaultName=kv-.+;SecretName=webhook-signing-secret\)$/,
    );
    expect(settings.get('TRIAGE_WEBHOOK_ALLOW_PRIVATE')).toBe('false');
    expect((site.body['properties'] as Record<string, Value>)['keyVaultReferenceIdentity']).toBeTruthy();
    const roles = main.module('roleAssignments').resourceInstances('secretsReader');
    expect(roles).toHaveLength(1);
    expect(String((roles[0]!.body['properties'] as Record<string, Value>)['roleDefinitionId'])).toContain(
      keyVaultSecretsUser,
    );
  });

  test('without one: no secret and an empty setting (webhooks then wait, never go out unsigned)', async () => {
    const { main, settings } = await deploy({});
    expect(main.module('keyVault').resourceInstances('webhookSecret')).toHaveLength(0);
    expect(settings.get('TRIAGE_WEBHOOK_SECRET')).toBe('');
  });
});
