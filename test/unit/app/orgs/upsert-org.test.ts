import { roles, type Principal } from '../../../../shared/domain/identity/principal';
import { createTestApp } from '../../../support/in-memory-ports';
import { expectTriage, provision } from '../helpers';

/** An admin principal: who a registry change is audited as (the caller's identity, not a header). */
const admin = (id: string): Principal => ({
  id,
  name: id,
  roles: [roles.admin],
  orgIds: [],
  source: 'token',
  unrestricted: false,
});

describe('upsertOrg, getOrg and the registry audit', () => {
  test('a tier above the default needs evidence; the default tier does not', async () => {
    const t = createTestApp();
    await expectTriage(
      t.app.upsertOrg('nhs', { name: 'NHS', sector: 'health', tier: 'health' }),
      'validation',
    );
    expect(t.ports.orgs.orgs.size).toBe(0);
    await t.app.upsertOrg('shop', { name: 'Shop', sector: 'retail', tier: 'standard' });
    await t.app.upsertOrg('nhs', { name: 'NHS', sector: 'health', tier: 'health', evidence: 'ODS code RX1' });
    expect((await t.app.getOrg('nhs')).servedTier).toBe('health');
  });

  test('every change is audited with who, from and to; a tier change says so', async () => {
    const t = createTestApp();
    const org = { name: 'NHS', sector: 'health', evidence: 'ODS code RX1' };
    await t.app.as(admin('alice')).upsertOrg('nhs', { ...org, tier: 'health' });
    await t.app.as(admin('bob')).upsertOrg('nhs', { ...org, tier: 'health', name: 'NHS Trust' });
    await t.app.as(admin('carol')).upsertOrg('nhs', { ...org, tier: 'government' });
    const { items } = await t.app.getOrgAudit('nhs');
    expect(items.map((a) => [a.action, a.actor, a.fromTier, a.toTier])).toEqual([
      ['registered', 'alice', undefined, 'health'],
      ['updated', 'bob', 'health', 'health'],
      ['tier-changed', 'carol', 'health', 'government'],
    ]);
    await expectTriage(t.app.getOrgAudit('never-registered'), 'not-found');
  });

  test('after tierExpiresAt the organisation is served, and its new requests routed, at the default tier', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const t = createTestApp();
    t.ctx.clock = () => new Date(now);
    await t.app.upsertOrg('field-hospital', {
      name: 'Field hospital',
      sector: 'health',
      tier: 'health',
      evidence: 'emergency order 12',
      tierExpiresAt: '2026-12-15T00:00:00Z',
    });
    expect((await t.app.submitRequest(provision('field-hospital'))).request.tier).toBe('health');
    now = Date.parse('2026-12-15T00:00:00Z');
    expect(await t.app.getOrg('field-hospital')).toMatchObject({ tier: 'health', servedTier: 'standard' });
    expect((await t.app.submitRequest(provision('field-hospital'))).request.tier).toBe('standard');
  });

  test('webhook URLs: https to a public address; http and private addresses only where the deployment allows them', async () => {
    const strict = createTestApp();
    const base = { name: 'Shop', sector: 'retail', tier: 'standard' };
    const hook = (webhookUrl: string) => ({ ...base, notify: { webhookUrl } });
    await strict.app.upsertOrg('shop', hook('https://hooks.example.org/triage'));
    for (const url of [
      'http://hooks.example.org/x',
      'https://127.0.0.1/x',
      'https://10.1.2.3/x',
      'https://[::1]/x',
      'https://localhost/x',
      'https://printer.local/x',
      'ftp://hooks.example.org/x',
      'not a url',
    ]) {
      await expectTriage(strict.app.upsertOrg('shop', hook(url)), 'validation');
    }
    const local = createTestApp({ settings: { webhookAllowPrivate: true } });
    await local.app.upsertOrg('shop', hook('http://127.0.0.1:9999/hook'));
    await expectTriage(local.app.upsertOrg('shop', hook('ftp://127.0.0.1/x')), 'validation');
    expect((await local.app.getOrg('shop')).notify).toEqual({ webhookUrl: 'http://127.0.0.1:9999/hook' });
  });

  test('names with control characters or bidi overrides are refused', async () => {
    const t = createTestApp();
    await expectTriage(
      t.app.upsertOrg('x', { name: 'A\u0000B', sector: 's', tier: 'standard' }),
      'validation',
    );
    await expectTriage(
      t.app.upsertOrg('x', { name: 'evil\u202Etxt', sector: 's', tier: 'standard' }),
      'validation',
    );
    await expectTriage(
      t.app.upsertOrg('x', { name: 'A', sector: 'line\nbreak', tier: 'standard' }),
      'validation',
    );
  });
});
