import { createTestApp } from '../../../support/in-memory-ports';
import { expectTriage, provision } from '../helpers';

describe('listRequests', () => {
  test('list filters are validated', async () => {
    const t = createTestApp();
    await t.app.submitRequest(provision('o1'));
    await t.app.submitRequest(provision('o2'));
    expect((await t.app.listRequests({ orgId: 'o1' })).items).toHaveLength(1);
    await expectTriage(t.app.listRequests({ orgId: "o1' or true" }), 'validation');
    await expectTriage(t.app.listRequests({ tier: 'platinum' }), 'validation');
    await expectTriage(t.app.listRequests({ limit: '100000' }), 'validation');
    await expectTriage(t.app.listRequests({ surprise: 'x' }), 'validation');
  });
});

describe('listRequests: newest first, with totals', () => {
  test('the first page carries totals of every request per status and tier', async () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const t = createTestApp();
    t.ctx.clock = () => new Date((now += 1000));
    await t.app.upsertOrg('h', { name: 'h', sector: 's', tier: 'health', evidence: 'checked' });
    const ids = [];
    for (const org of ['h', 'x', 'h']) ids.push((await t.app.submitRequest(provision(org))).request.id);
    await t.app.cancelRequest(ids[1]);
    const page = await t.app.listRequests({ limit: '2' });
    expect(page.items.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(page.totals!.byStatus).toMatchObject({ queued: 2, cancelled: 1, running: 0 });
    expect(page.totals!.byTier.health).toMatchObject({ queued: 2 });
    expect(page.totals!.byTier.standard).toMatchObject({ cancelled: 1 });
    const next = await t.app.listRequests({ limit: '2', continuationToken: page.continuationToken! });
    expect(next.items.map((r) => r.id)).toEqual([ids[0]]);
    expect(next.totals).toBeUndefined();
  });
});
