import { createTestApp } from '../../../support/in-memory-ports';
import { expectTriage, mailboxes } from '../helpers';

describe('cancelRequest', () => {
  test('cancel stops what has not started and keeps what ran', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(30) });
    await t.app.cancelRequest(request.id);
    await t.drain();
    const view = await t.app.getRequest(request.id);
    expect(view.status).toBe('cancelled');
    expect(view.progress.succeeded).toBe(0);
    await expectTriage(
      t.app.cancelRequest(request.id).then(() => t.app.retryRequest(request.id)),
      'invalid-transition',
    );
  });
});
