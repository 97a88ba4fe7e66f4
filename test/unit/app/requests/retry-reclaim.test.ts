import { ScriptedExecutor, createTestApp } from '../../../support/in-memory-ports';
import { expectTriage, type TestApp } from '../helpers';

/** Mailboxes `user{from}` … `user{to - 1}` of one domain. */
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ address: `user${from + i}@contoso.example`, sizeBytes: 1 }));

/**
 * An executor failing permanently for `user10`…`user19` while `failing.now` says so, counting the
 * successful executions of each address (a mailbox migrated) whichever request ran it.
 */
function countingExecutor() {
  const failing = { now: true };
  const successes = new Map<string, number>();
  const executor = new ScriptedExecutor((task) => {
    const address = String(task.payload.address).toLowerCase();
    if (failing.now && /^user1\d@/.test(address)) return { ok: false, retryable: false, reason: 'no' };
    successes.set(address, (successes.get(address) ?? 0) + 1);
    return { ok: true };
  });
  return { executor, successes, failing };
}

/** Delivers the queued messages of `requestId` only (the other requests' work stays queued) until none is left. */
async function drainOnly(t: TestApp, requestId: string): Promise<void> {
  for (;;) {
    const index = t.ports.publisher.queue.findIndex((m) => m.messageId.startsWith(requestId));
    if (index < 0) return;
    const [next] = t.ports.publisher.queue.splice(index, 1);
    await t.app.handleDelivery(next!.message, t.deliveryOf(next!.message, 1, next!.messageId));
  }
}

/** Delivers the planning message of `requestId` (it is planned and running; its batches stay queued). */
async function deliverPlanning(t: TestApp, requestId: string): Promise<void> {
  const index = t.ports.publisher.queue.findIndex((m) => m.messageId === requestId);
  const [plan] = t.ports.publisher.queue.splice(index, 1);
  if (!plan) throw new Error(`no planning queued for ${requestId}`);
  expect(await t.app.handleDelivery(plan.message, t.deliveryOf(plan.message, 1, plan.messageId))).toBe(
    'planned',
  );
}

async function listed(t: TestApp, requestId: string) {
  const out = [];
  for await (const s of t.ports.artifacts.readDuplicates(requestId)) out.push(s);
  return out;
}

async function itemsOf(t: TestApp, requestId: string) {
  const batches = await t.ports.requests.listBatches(requestId);
  const lists = await Promise.all(batches.map((b) => t.ports.items.list(requestId, b.batchNumber)));
  return new Map(lists.flat().map((i) => [i.address, i]));
}

/**
 * A migrates user0..user19 (batches of 10); user10..user19 fail and A ends completed-with-errors; B (same
 * organisation) names user10..user14, is planned (it takes over A's claims) and still running.
 */
async function aFailedThenBRunning() {
  const counting = countingExecutor();
  const t = createTestApp({ executor: counting.executor });
  const a = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 20) })).request.id;
  await drainOnly(t, a);
  expect(await t.app.getRequest(a)).toMatchObject({
    status: 'completed-with-errors',
    progress: { total: 20, succeeded: 10, failed: 10 },
  });
  const b = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(10, 15) })).request.id;
  await deliverPlanning(t, b); // B takes A's finished claims over; nothing of it runs yet
  expect((await t.app.getRequest(b)).status).toBe('running');
  return { t, a, b, ...counting };
}

describe('retry of a failed migration claims its mailboxes again (issue 12)', () => {
  test('re-queues only the failed mailboxes no request in flight migrates; each mailbox succeeds once across both', async () => {
    const counting = countingExecutor();
    const t = createTestApp({ executor: counting.executor });
    const a = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 20) })).request
      .id;
    await t.drain();
    expect(await t.app.getRequest(a)).toMatchObject({ status: 'completed-with-errors' });
    const b = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(10, 15) })).request
      .id;
    // B is planned (it takes A's finished claims over) and its batch is queued, not run: B is in flight.
    await deliverPlanning(t, b);
    expect((await t.app.getRequest(b)).status).toBe('running');

    counting.failing.now = false;
    const retried = await t.app.retryRequest(a);
    expect(retried).toMatchObject({
      status: 'queued',
      progress: { total: 20, succeeded: 10, failed: 5, pending: 5 },
      duplicates: { skipped: 5, heldBy: [b], list: `/api/requests/${a}/duplicates` },
    });
    expect(retried.duplicates?.sample.map((s) => s.address)).toEqual(range(10, 15).map((m) => m.address));
    expect((await listed(t, a)).map((s) => [s.address, s.heldBy, s.heldByStatus])).toEqual(
      range(10, 15).map((m) => [m.address, b, 'running']),
    );
    const notes = retried.history?.filter((e) => e.type === 'note') ?? [];
    expect(notes.map((e) => e.message)).toEqual([
      `retry left 5 failed mailbox(es) failed: other requests in flight migrate them now (e.g. ` +
        `user10@contoso.example in ${b}, running): listed at /api/requests/${a}/duplicates`,
    ]);
    const items = await itemsOf(t, a);
    expect(items.get('user12@contoso.example')).toMatchObject({
      status: 'failed',
      reason: `migrated by request ${b} (running)`,
    });
    expect(items.get('user17@contoso.example')).toMatchObject({ status: 'retry' });

    await t.drain();
    expect(await t.app.getRequest(a)).toMatchObject({
      status: 'completed-with-errors',
      progress: { total: 20, succeeded: 15, failed: 5, pending: 0 },
    });
    expect(await t.app.getRequest(b)).toMatchObject({
      status: 'completed',
      progress: { total: 5, succeeded: 5 },
    });
    // Every mailbox migrated exactly once in total, across A and B.
    expect([...counting.successes.keys()].sort()).toEqual(
      range(0, 20)
        .map((m) => m.address)
        .sort(),
    );
    expect([...counting.successes.values()].every((n) => n === 1)).toBe(true);
  });

  test('a retry whose every failed mailbox is migrated elsewhere is refused (409) and changes nothing', async () => {
    const counting = countingExecutor();
    const t = createTestApp({ executor: counting.executor });
    const a = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(5, 15) })).request
      .id;
    await t.drain(); // user10..user14 fail
    const b = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(10, 15) })).request
      .id;
    await deliverPlanning(t, b);
    expect((await t.app.getRequest(b)).status).toBe('running');

    const before = await t.app.getRequest(a);
    const itemsBefore = await itemsOf(t, a);
    const claimsBefore = structuredClone([...t.ports.mailboxClaims.claims]);
    const err = await t.app.retryRequest(a).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(
      new RegExp(
        `^nothing to retry: each of the 5 failed mailbox\\(es\\) is migrated by another request in flight now, ` +
          `e\\.g\\. user10@contoso\\.example \\(migrated by request ${b} \\(running\\)\\)`,
      ),
    );
    await expectTriage(t.app.retryRequest(a), 'invalid-transition');
    expect(await t.app.getRequest(a)).toEqual(before);
    expect(await itemsOf(t, a)).toEqual(itemsBefore);
    expect([...t.ports.mailboxClaims.claims]).toEqual(claimsBefore);
    expect(t.ports.publisher.queue.filter((m) => m.messageId.startsWith(a))).toEqual([]);
    expect(await listed(t, a)).toEqual([]);
  });

  test('once the other request has finished, retry takes the claims back and re-queues them all', async () => {
    const { t, a, b, failing, successes } = await aFailedThenBRunning();
    await t.drain(); // B runs and fails user10..user14 too (still failing)
    expect((await t.app.getRequest(b)).status).toBe('failed');
    failing.now = false;
    expect(await t.app.retryRequest(a)).toMatchObject({
      progress: { total: 20, succeeded: 10, failed: 0, pending: 10 },
    });
    expect((await t.app.getRequest(a)).duplicates).toBeUndefined();
    // A holds them again: a request naming them now skips them.
    const c = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(10, 12) })).request
      .id;
    await deliverPlanning(t, c);
    expect((await t.app.getRequest(c)).duplicates).toMatchObject({ skipped: 2, heldBy: [a] });
    await t.drain();
    expect(await t.app.getRequest(a)).toMatchObject({
      status: 'completed',
      progress: { total: 20, succeeded: 20, failed: 0 },
    });
    expect([...successes.values()].every((n) => n === 1)).toBe(true);
    expect(successes.size).toBe(20);
  });

  test('a second retry does not report again what the first reported under the same holder', async () => {
    const { t, a, b } = await aFailedThenBRunning();
    const first = await t.app.retryRequest(a); // still failing: user15..user19 fail again
    expect(first.duplicates?.skipped).toBe(5);
    await drainOnly(t, a);
    expect(await t.app.getRequest(a)).toMatchObject({
      status: 'completed-with-errors',
      progress: { total: 20, succeeded: 10, failed: 10 },
    });
    const second = await t.app.retryRequest(a);
    expect(second).toMatchObject({
      progress: { total: 20, succeeded: 10, failed: 5, pending: 5 },
      duplicates: { skipped: 5, heldBy: [b] },
      retryCount: 2,
    });
    expect(await listed(t, a)).toHaveLength(5);
    expect(second.history?.filter((e) => e.type === 'note')).toHaveLength(1);
  });

  test("a request planned in the moment between the retry's claims and its re-opening: the mailboxes still run once", async () => {
    const counting = countingExecutor();
    const t = createTestApp({ executor: counting.executor });
    const a = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 20) })).request
      .id;
    await drainOnly(t, a);
    const b = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(10, 15) })).request
      .id;
    counting.failing.now = false;
    // B is planned right after A's retry has claimed its failed mailboxes and before it re-opens its batches:
    // A still reads as finished, so B takes those claims over.
    const write = t.ports.items.write.bind(t.ports.items);
    let raced = false;
    t.ports.items.write = async (requestId, batchNumber, items) => {
      if (!raced && requestId === a && items.some((i) => i.status === 'retry')) {
        raced = true;
        await deliverPlanning(t, b);
      }
      return write(requestId, batchNumber, items);
    };
    await t.app.retryRequest(a);
    expect(raced).toBe(true);
    await t.drain();
    for (let i = 10; i < 20; i++) expect(counting.successes.get(`user${i}@contoso.example`)).toBe(1);
    expect(await t.app.getRequest(a)).toMatchObject({
      status: 'completed-with-errors',
      progress: { total: 20, succeeded: 15, failed: 5, pending: 0 },
      duplicates: { skipped: 5, heldBy: [b] },
    });
    expect(await t.app.getRequest(b)).toMatchObject({ status: 'completed', progress: { succeeded: 5 } });
    const items = await itemsOf(t, a);
    expect(items.get('user12@contoso.example')).toMatchObject({
      status: 'failed',
      reason: `migrated by request ${b} (running)`,
    });
    expect((await listed(t, a)).map((s) => s.heldBy)).toEqual([b, b, b, b, b]);
  });
});
