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
