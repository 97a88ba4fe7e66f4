import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { mailboxes, provision, failingFor } from '../helpers';

describe('cancel keeps the truth (item 3)', () => {
  test('a provisioning that completed while it was being cancelled shows 1 succeeded, still cancelled', async () => {
    const holder: { t?: ReturnType<typeof createTestApp> } = {};
    const exec = new ScriptedExecutor((task) => {
      void holder.t?.app.cancelRequest(task.requestId); // lands while the executor call is in flight
      return { ok: true };
    });
    const t = (holder.t = createTestApp({ executor: exec }));
    const { request } = await t.app.submitRequest(provision('o'));
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'cancelled',
      progress: { total: 1, succeeded: 1, failed: 0, pending: 0 },
    });
  });

  test('a migration cancelled mid-way reports exactly what ran, what failed and what was cancelled', async () => {
    const holder: { t?: ReturnType<typeof createTestApp> } = {};
    let calls = 0;
    const exec = new ScriptedExecutor((task) => {
      if (++calls === 40) void holder.t?.app.cancelRequest(task.requestId);
      return String(task.payload.address).startsWith('user3')
        ? { ok: false, retryable: false, reason: 'no' }
        : { ok: true };
    });
    const t = (holder.t = createTestApp({ executor: exec, settings: { batchSize: 25, itemConcurrency: 1 } }));
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(100) });
    await t.drain();
    const view = await t.app.getRequest(request.id);
    const ran = [...exec.calls.keys()].length;
    const failed = [...exec.calls.keys()].filter((k) => !exec.successes.has(k)).length;
    expect(view.status).toBe('cancelled');
    expect(view.progress).toEqual({
      total: 100,
      succeeded: ran - failed,
      failed,
      cancelled: 100 - ran,
      pending: 0,
    });
    expect(ran).toBeGreaterThanOrEqual(40);
    expect(ran).toBeLessThan(100);
    // Every batch is settled (none left open), so the request leaves the activity index.
    expect(view.batches?.every((b) => b.status === 'completed' || b.status === 'cancelled')).toBe(true);
    // Planning (3 batches a chunk) stopped at the cancel: the 3 batches already out are the request's.
    expect(view).toMatchObject({ batchCount: 3, batchesCompleted: 3 });
    expect(t.ports.activity.entries.has(request.id)).toBe(false);
  });

  test('a cancel after a retry keeps the earlier results', async () => {
    let fail = true;
    const exec = failingFor('user1', () => fail);
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(25) });
    await t.drain();
    expect((await t.app.getRequest(request.id)).progress).toMatchObject({ succeeded: 14, failed: 11 });
    fail = false;
    await t.app.retryRequest(request.id);
    await t.app.cancelRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'cancelled',
      progress: { total: 25, succeeded: 14, failed: 0, cancelled: 11, pending: 0 },
    });
  });
});

describe('retry shows the truth (item 12)', () => {
  test('after a retry of the failed items only they are pending; attempts count executor calls', async () => {
    let fail = true;
    const exec = failingFor('user1', () => fail);
    const t = createTestApp({ executor: exec, settings: { batchSize: 100 } });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(200) });
    await t.drain();
    expect((await t.app.getRequest(request.id)).progress).toEqual({
      total: 200,
      succeeded: 89,
      failed: 111,
      pending: 0,
    });
    await t.app.retryRequest(request.id); // still failing
    expect((await t.app.getRequest(request.id)).progress).toEqual({
      total: 200,
      succeeded: 89,
      failed: 0,
      pending: 111,
    });
    await t.drain();
    await t.app.retryRequest(request.id);
    fail = false;
    await t.drain();
    expect((await t.app.getRequest(request.id)).progress).toEqual({
      total: 200,
      succeeded: 200,
      failed: 0,
      pending: 0,
    });
    // Three executor calls for each of those items (two failed, one succeeded): attempts read 3, not 21.
    const items = [...(t.ports.items.items.get(`${request.id}/1`)?.values() ?? [])];
    const retried = items.filter((i) => i.address.startsWith('user1'));
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((i) => i.status === 'succeeded' && i.attempts === 3)).toBe(true);
  });
});
