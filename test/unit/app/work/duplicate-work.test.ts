import { ScriptedExecutor, createTestApp } from '../../../support/in-memory-ports';
import type { TestApp } from '../helpers';

/** Mailboxes `user{from}` … `user{to - 1}` of one domain. */
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ address: `user${from + i}@contoso.example`, sizeBytes: 1 }));

/** An executor that counts the executions of each address (the mailboxes migrated). */
function countingExecutor() {
  const runs = new Map<string, number>();
  const executor = new ScriptedExecutor((task) => {
    const address = String(task.payload.address).toLowerCase();
    runs.set(address, (runs.get(address) ?? 0) + 1);
    return { ok: true };
  });
  return { executor, runs };
}

/** Delivers the first queued message of `requestId` (its planning message or a continuation). */
async function deliverNextOf(t: TestApp, requestId: string): Promise<string> {
  const index = t.ports.publisher.queue.findIndex((m) => m.messageId.startsWith(requestId));
  const [next] = t.ports.publisher.queue.splice(index, 1);
  if (!next) throw new Error(`nothing queued for ${requestId}`);
  return t.app.handleDelivery(next.message, t.deliveryOf(next.message, 1, next.messageId));
}

async function listed(t: TestApp, requestId: string) {
  const out = [];
  for await (const s of t.ports.artifacts.readDuplicates(requestId)) out.push(s);
  return out;
}

describe('no duplicate work across requests (issue 12, item 11)', () => {
  test('a second request skips the mailboxes the first still migrates, reports them, and each runs once', async () => {
    const { executor, runs } = countingExecutor();
    const t = createTestApp({ executor }); // batches of 10, chunks of 3 batches
    const first = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 25) });
    const second = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(20, 40) });
    expect(await deliverNextOf(t, first.request.id)).toBe('planned');
    expect(await deliverNextOf(t, second.request.id)).toBe('planned');

    const view = await t.app.getRequest(second.request.id);
    expect(view.progress.total).toBe(15);
    expect(view.duplicates).toMatchObject({
      skipped: 5,
      heldBy: [first.request.id],
      list: `/api/requests/${second.request.id}/duplicates`,
    });
    expect(view.duplicates?.sample.map((s) => s.address)).toEqual(range(20, 25).map((m) => m.address));
    expect((await listed(t, second.request.id)).map((s) => [s.address, s.heldBy, s.heldByStatus])).toEqual(
      range(20, 25).map((m) => [m.address, first.request.id, 'running']),
    );
    const history = await t.app.getRequest(second.request.id);
    expect(
      history.history?.some((e) => /skipped 5 mailbox\(es\) already in requests/.test(e.message ?? '')),
    ).toBe(true);

    await t.drain();
    expect((await t.app.getRequest(first.request.id)).status).toBe('completed');
    expect(await t.app.getRequest(second.request.id)).toMatchObject({
      status: 'completed',
      progress: { total: 15, succeeded: 15, pending: 0 },
    });
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  test('once the first has finished, its mailboxes can be migrated again (the claims are taken over)', async () => {
    const { executor, runs } = countingExecutor();
    const t = createTestApp({ executor });
    const first = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 12) });
    await t.drain();
    expect((await t.app.getRequest(first.request.id)).status).toBe('completed');
    const again = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 12) });
    await t.drain();
    const view = await t.app.getRequest(again.request.id);
    expect(view).toMatchObject({ status: 'completed', progress: { total: 12, succeeded: 12 } });
    expect(view.duplicates).toBeUndefined();
    expect([...runs.values()].every((n) => n === 2)).toBe(true);
  });

  test('addresses compare case-insensitively, within one organisation only', async () => {
    const t = createTestApp();
    const first = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 5) });
    const upper = range(0, 5).map((m) => ({ ...m, address: m.address.toUpperCase() }));
    const same = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: upper });
    const other = await t.app.submitRequest({ kind: 'migrate', orgId: 'p', mailboxes: range(0, 5) });
    for (const id of [first.request.id, same.request.id, other.request.id]) await deliverNextOf(t, id);
    expect((await t.app.getRequest(same.request.id)).duplicates?.skipped).toBe(5);
    expect((await t.app.getRequest(other.request.id)).duplicates).toBeUndefined();
    await t.drain();
    // Nothing left to migrate: it completes with nothing to do, and says why.
    expect(await t.app.getRequest(same.request.id)).toMatchObject({
      status: 'completed',
      batchCount: 0,
      progress: { total: 0 },
    });
  });

  test('a chunk whose mailboxes were all skipped plans no batch, and planning goes on from the next', async () => {
    const { executor, runs } = countingExecutor();
    const t = createTestApp({ executor }); // chunks of 30 mailboxes
    const first = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 30) });
    await deliverNextOf(t, first.request.id);
    const second = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 75) });
    const planning = t.ports.publisher.queue.find((m) => m.messageId.startsWith(second.request.id))!;
    // Two deliveries of the same chunk at once (a lock lost while the first ran): it is counted once.
    await Promise.all(
      [1, 2].map((n) => t.app.handleDelivery(planning.message, t.deliveryOf(planning.message, n))),
    );
    t.ports.publisher.queue = t.ports.publisher.queue.filter((m) => m !== planning);
    const view = await t.app.getRequest(second.request.id);
    expect(view.duplicates?.skipped).toBe(30);
    expect(view.planning).toEqual({ batchesPlanned: 0, mailboxesPlanned: 0 });
    expect(t.ports.publisher.queue.map((m) => m.messageId)).toContain(`${second.request.id}:plan:30`);
    await t.drain();
    expect(await t.app.getRequest(second.request.id)).toMatchObject({
      status: 'completed',
      batchCount: 5,
      progress: { total: 45, succeeded: 45 },
      duplicates: { skipped: 30 },
    });
    expect(runs.size).toBe(75);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  test('a cancelled request releases its mailboxes to the next', async () => {
    const t = createTestApp();
    const first = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 8) });
    await deliverNextOf(t, first.request.id);
    await t.app.cancelRequest(first.request.id);
    const next = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 8) });
    await t.drain();
    expect(await t.app.getRequest(next.request.id)).toMatchObject({
      status: 'completed',
      progress: { total: 8, succeeded: 8 },
    });
  });

  test('under a programme calendar a migration naming mailboxes in flight is refused whole, with the list', async () => {
    const t = createTestApp();
    t.ctx.clock = () => new Date('2026-12-06T12:00:00Z');
    await t.app.putCalendar({
      timeZone: 'Europe/London',
      start: '2026-12-07',
      deadline: '2026-12-31',
      caps: { weekday: { mailboxes: 10, bytes: 1e15 }, weekend: { mailboxes: 10, bytes: 1e15 } },
    });
    const first = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(0, 6) });
    await deliverNextOf(t, first.request.id);
    expect((await t.app.getRequest(first.request.id)).status).not.toBe('failed');
    const second = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(4, 9) });
    await deliverNextOf(t, second.request.id);
    const refused = await t.app.getRequest(second.request.id);
    expect(refused).toMatchObject({
      status: 'failed',
      duplicates: { skipped: 2, heldBy: [first.request.id] },
    });
    expect(refused.reason).toMatch(
      /^2 mailbox\(es\) are already in requests in flight, e\.g\. user4@contoso/,
    );
    expect((await listed(t, second.request.id)).map((s) => s.address)).toEqual(
      range(4, 6).map((m) => m.address),
    );
    // Corrected, it is planned: the refused request's claims went with it.
    const corrected = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: range(6, 9) });
    await deliverNextOf(t, corrected.request.id);
    expect((await t.app.getRequest(corrected.request.id)).status).not.toBe('failed');
  });
});
