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
    await t.app.putCalendar({
      timeZone: 'Europe/London',
      start: '2026-12-07',
      deadline: '2027-06-30',
      caps: { weekday: { mailboxes: 100, bytes: 1e12 }, weekend: { mailboxes: 100, bytes: 1e12 } },
      requiredChecks: ['licences'],
    });
    await t.app.putReadiness('c', { checks: [{ name: 'licences', status: 'pass' }] });
    await t.app.putReadiness('b', { checks: [{ name: 'licences', status: 'fail', detail: 'E5 missing' }] });
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
    const notReady = (await t.app.listOrgs({ ready: 'false' })).items;
    expect(notReady.map((o) => [o.orgId, o.failing])).toEqual([
      ['a', ['licences']],
      ['b', ['licences']],
    ]);
    await expectTriage(t.app.listOrgs({ tier: 'gold' }), 'validation');
    await expectTriage(t.app.listOrgs({ ready: 'yes' }), 'validation');
  });
});

test('without a calendar nothing is required: every organisation is ready', async () => {
  const t = createTestApp();
  await t.app.upsertOrg('a', { name: 'a', sector: 's', tier: 'standard' });
  expect((await t.app.listOrgs({})).items).toMatchObject([{ orgId: 'a', ready: true, failing: [] }]);
  expect((await t.app.listOrgs({ ready: 'false' })).items).toEqual([]);
});
