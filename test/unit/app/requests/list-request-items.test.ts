import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { expectTriage, mailboxes, provision } from '../helpers';

/** user3, user13, user23 … fail permanently: one failure in each batch of 10. */
const failEveryTenth = () =>
  new ScriptedExecutor((task) =>
    /user\d*3@/.test(String(task.payload.address))
      ? { ok: false, retryable: false, reason: 'mailbox locked' }
      : { ok: true },
  );

async function collect(t: ReturnType<typeof createTestApp>, id: string, query: Record<string, string>) {
  const items = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await t.app.listRequestItems(id, {
      ...query,
      ...(token ? { continuationToken: token } : {}),
    });
    items.push(...page.items);
    token = page.continuationToken;
    pages++;
  } while (token);
  return { items, pages };
}

describe('listRequestItems', () => {
  test('failed items with reasons and attempts, across batches, paged in manifest order', async () => {
    const t = createTestApp({ executor: failEveryTenth() });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(45) });
    await t.drain();
    const { items, pages } = await collect(t, request.id, { status: 'failed', limit: '2' });
    expect(pages).toBeGreaterThan(1);
    expect(items.map((i) => i.address)).toEqual(
      ['user3', 'user13', 'user23', 'user33', 'user43'].map((u) => `${u}@contoso.example`),
    );
    expect(items[0]).toMatchObject({
      batch: 1,
      index: 3,
      status: 'failed',
      attempts: 1,
      reason: 'mailbox locked',
    });
    const succeeded = await collect(t, request.id, { status: 'succeeded', limit: '200' });
    expect(succeeded.items).toHaveLength(40);
    expect((await collect(t, request.id, { status: 'pending' })).items).toEqual([]);
  });

  test('pending: manifest entries with no final row, including re-queued failures', async () => {
    const t = createTestApp({ executor: failEveryTenth() });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(25) });
    await t.drain();
    await t.app.retryRequest(request.id);
    // Before the retry's messages are delivered, the three failures are pending again.
    const pending = await collect(t, request.id, { status: 'pending' });
    expect(pending.items.map((i) => [i.address, i.attempts, i.status])).toEqual([
      ['user3@contoso.example', 1, 'pending'],
      ['user13@contoso.example', 1, 'pending'],
      ['user23@contoso.example', 1, 'pending'],
    ]);
    const all = await collect(t, request.id, { limit: '7' });
    expect(all.items.map((i) => i.index + (i.batch - 1) * 10)).toEqual([...Array(25).keys()]);
  });

  test('bad parameters name the field; an unknown request is 404; a provisioning has no items', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest(provision('o'));
    expect(await t.app.listRequestItems(request.id, {})).toEqual({ items: [] });
    await expectTriage(t.app.listRequestItems(request.id, { status: 'lost' }), 'validation');
    await expectTriage(t.app.listRequestItems(request.id, { continuationToken: 'bm9wZQ' }), 'validation');
    await expectTriage(t.app.listRequestItems('nope', {}), 'not-found');
  });
});
