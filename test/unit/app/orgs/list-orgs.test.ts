import { createTestApp } from '../../../support/in-memory-ports';
import { expectTriage } from '../helpers';

describe('listOrgs', () => {
  test('pages the registry, filtered by tier and by reported readiness', async () => {
    const t = createTestApp();
    for (const [id, tier] of [
      ['a', 'health'],
      ['b', 'standard'],
      ['c', 'health'],
    ] as const)
      await t.app.upsertOrg(id, { name: id, sector: 's', tier, evidence: 'checked' });
    t.ports.orgs.ready.set('c', true);
    const first = await t.app.listOrgs({ limit: '2' });
    expect(first.items.map((o) => o.orgId)).toEqual(['a', 'b']);
    const second = await t.app.listOrgs({ limit: '2', continuationToken: first.continuationToken! });
    expect(second.items.map((o) => o.orgId)).toEqual(['c']);
    expect(second.continuationToken).toBeUndefined();
    expect((await t.app.listOrgs({ tier: 'health' })).items.map((o) => o.servedTier)).toEqual([
      'health',
      'health',
    ]);
    expect((await t.app.listOrgs({ ready: 'true' })).items.map((o) => o.orgId)).toEqual(['c']);
    expect((await t.app.listOrgs({ ready: 'false' })).items.map((o) => o.orgId)).toEqual(['a', 'b']);
    await expectTriage(t.app.listOrgs({ tier: 'gold' }), 'validation');
    await expectTriage(t.app.listOrgs({ ready: 'yes' }), 'validation');
  });
});
