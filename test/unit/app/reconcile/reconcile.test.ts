import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { expectTriage, mailboxes, provision } from '../helpers';

const minutes = (n: number) => n * 60_000;

describe('reconcile: nothing stays non-terminal without progress', () => {
  test('item 2: an intake whose publish failed (503) is published by the reconciler (the outbox)', async () => {
    const t = createTestApp();
    t.ports.publisher.fail = true;
    await expectTriage(t.app.submitRequest(provision('o')), 'dependency-unavailable');
    const [stored] = [...t.ports.requests.requests.values()];
    expect(stored).toMatchObject({ status: 'queued', unpublished: true });
    t.ports.publisher.fail = false;
    // Not yet idle for long enough: nothing happens.
    expect((await t.app.reconcile()).repairs).toEqual([]);
    t.clock.advance(minutes(3));
    const report = await t.app.reconcile();
    expect(report.repairs).toEqual([
      expect.objectContaining({ requestId: stored!.id, action: 'republished' }),
    ]);
    // The same messageId the intake meant to use: had it gone out, duplicate detection would drop this one.
    expect(t.ports.publisher.queue.map((m) => m.messageId)).toEqual([stored!.id]);
    await t.drain();
    const view = await t.app.getRequest(stored!.id);
    expect(view.status).toBe('completed');
    expect(
      view.history?.some((h) => /reconciler: re-published the provision message/.test(h.message ?? '')),
    ).toBe(true);
    // Settled: the activity index forgets it, so the next run reads nothing.
    expect(t.ports.activity.entries.has(stored!.id)).toBe(false);
    expect((await t.app.reconcile()).examined).toBe(0);
  });

  test('item 2: an operator can retry a never-published request at once', async () => {
    const t = createTestApp();
    t.ports.publisher.fail = true;
    await expectTriage(t.app.submitRequest(provision('o')), 'dependency-unavailable');
    t.ports.publisher.fail = false;
    const [stored] = [...t.ports.requests.requests.values()];
    await t.app.retryRequest(stored!.id);
    await t.drain();
    expect((await t.app.getRequest(stored!.id)).status).toBe('completed');
  });

  test('item 1: a 2-minute storage outage mid-migration costs time, not work (back-off, no dead-letter)', async () => {
    const exec = new ScriptedExecutor();
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(50) });
    await t.app.handleDelivery(
      t.ports.publisher.queue[0]!.message,
      t.deliveryOf(t.ports.publisher.queue.shift()!.message, 1),
    );
    const outageEnds = t.clock.now().getTime() + minutes(2);
    const write = t.ports.items.write.bind(t.ports.items);
    t.ports.items.write = async (...args) => {
      if (t.clock.now().getTime() < outageEnds) throw new Error('connect ECONNREFUSED 127.0.0.1:10002');
      return write(...args);
    };
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(0);
    expect(t.clock.now().getTime()).toBeGreaterThanOrEqual(outageEnds);
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { total: 50, succeeded: 50, failed: 0, pending: 0 },
    });
  });

  test('item 1: batch messages that are gone (a broker restart) are re-published once the request is stale', async () => {
    const exec = new ScriptedExecutor();
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(35) });
    const planning = t.ports.publisher.queue.shift()!;
    await t.app.handleDelivery(planning.message, t.deliveryOf(planning.message, 1, planning.messageId));
    // One batch runs, then the broker loses the other three messages.
    const first = t.ports.publisher.queue.shift()!;
    await t.app.handleDelivery(first.message, t.deliveryOf(first.message, 1, first.messageId));
    t.ports.publisher.queue = [];
    expect((await t.app.getRequest(request.id)).status).toBe('running');
    // Before today's fix, retry answered 409 here; it repairs now (after a minute of no progress).
    t.clock.advance(minutes(1));
    // The reconciler waits for its stale-after time (15 minutes in the test settings).
    expect((await t.app.reconcile()).repairs).toEqual([]);
    t.clock.advance(minutes(15));
    const report = await t.app.reconcile();
    expect(report.repairs).toEqual([
      // Planned in chunks of 3 batches: the planning where it stopped, and the open batches of the first chunk.
      expect.objectContaining({
        action: 'republished',
        detail: 'the migrate message, batch-0002, batch-0003',
      }),
    ]);
    // Idempotent: a second reconciler on the same state publishes the same messageIds (dropped).
    await t.app.reconcile();
    expect(t.ports.publisher.queue).toHaveLength(3);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { total: 35, succeeded: 35, failed: 0, pending: 0 },
    });
    expect([...exec.successes.values()].every((n) => n === 1)).toBe(true);
    expect(exec.successes.size).toBe(35);
  });

  test('item 1: retry repairs a running request stuck without a dead-letter (it answered 409)', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(15) });
    const planning = t.ports.publisher.queue.shift()!;
    await t.app.handleDelivery(planning.message, t.deliveryOf(planning.message, 1, planning.messageId));
    t.ports.publisher.queue = []; // the batch messages are lost
    t.clock.advance(minutes(2));
    const retried = await t.app.retryRequest(request.id);
    expect(
      retried.history?.some((h) => /retry: re-published batch-0001, batch-0002/.test(h.message ?? '')),
    ).toBe(true);
    await t.drain();
    expect((await t.app.getRequest(request.id)).status).toBe('completed');
  });

  test('the reconciler reads the activity index only (the requests in flight), never a table scan', async () => {
    const t = createTestApp();
    for (let i = 0; i < 20; i++) await t.app.submitRequest(provision(`org-${i}`));
    await t.drain();
    const stuck = await t.app.submitRequest(provision('late'));
    t.ports.publisher.queue = [];
    const list = jest.spyOn(t.ports.requests, 'list');
    const get = jest.spyOn(t.ports.requests, 'get');
    t.clock.advance(minutes(5));
    const report = await t.app.reconcile();
    expect(list).not.toHaveBeenCalled();
    // The 20 finished requests left the index when they finished: one point read, for the one in flight.
    expect(report.examined).toBe(1);
    expect(get.mock.calls.filter(([id]) => id === stuck.request.id).length).toBeGreaterThan(0);
    expect(new Set(get.mock.calls.map(([id]) => id))).toEqual(new Set([stuck.request.id]));
  });
});
