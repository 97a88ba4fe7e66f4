import { createTestApp } from '../../../support/in-memory-ports';
import { flagDeadLettered, recordDeadLetter } from '../../../../shared/app/use-cases/work/record-dead-letter';
import { processWork } from '../../../../shared/app/use-cases/work/process-work';
import {
  deadLetterEvents,
  expectTriage,
  mailboxes,
  migrateStandard,
  provision,
  failingFor,
} from '../helpers';

describe('retryRequest and the replay of dead-letters', () => {
  test('retry re-queues only the failed items of a migration', async () => {
    let fail = true;
    const exec = failingFor('user1', () => fail);
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(25) });
    await t.drain();
    const before = await t.app.getRequest(request.id);
    expect(before.progress.failed).toBe(11); // user1, user10..user19
    fail = false;
    await t.app.retryRequest(request.id);
    await t.drain();
    const after = await t.app.getRequest(request.id);
    expect(after).toMatchObject({
      status: 'completed',
      progress: { total: 25, succeeded: 25, failed: 0, pending: 0 },
    });
    expect([...exec.successes.values()].every((c) => c === 1)).toBe(true);
  });

  test('planning whose batch publish keeps failing: the migrate message is recorded once on its last delivery, and retry re-publishes it', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'o',
      mailboxes: mailboxes(25),
    });
    const migrateMessage = structuredClone(t.ports.publisher.queue[0]!.message);
    t.ports.publisher.failWhen = (m) => m.message.kind === 'migrate-batch';

    // An earlier delivery's failure records nothing, even if asked to.
    await expect(processWork(t.ctx, structuredClone(migrateMessage), migrateStandard(1))).rejects.toThrow(
      /broker refused/,
    );
    expect(await recordDeadLetter(t.ctx, migrateMessage, migrateStandard(1), 'broker refused')).toBe(
      'ignored',
    );
    expect(await t.app.getRequest(request.id)).toMatchObject({ deadLettered: false });
    expect(deadLetterEvents(t, request.id)).toHaveLength(0);

    // Back-off: the planning is retried (successors) for the chain's total time, then given up.
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(0);
    const view = await t.app.getRequest(request.id);
    // The batches go out before a chunk is recorded: the planning is not recorded, and is replayed whole.
    expect(view).toMatchObject({ status: 'queued', deadLettered: true });
    expect(view.batchCount).toBeUndefined();
    expect(view.reason).toMatch(/given up: transient failures for \d+ s .*broker refused/);
    expect(view.batches?.every((b) => !b.deadLettered)).toBe(true);
    expect(view.history?.filter((h) => h.type === 'dead-letter')).toHaveLength(1);

    // Recording it again (a duplicate delivery, a second handler) changes nothing.
    expect(await flagDeadLettered(t.ctx, migrateMessage, 'again')).toBe('already-recorded');
    expect(deadLetterEvents(t, request.id)).toHaveLength(1);

    // The broker recovers: retry re-publishes the migrate message under a new messageId.
    t.ports.publisher.failWhen = undefined;
    const retried = await t.app.retryRequest(request.id);
    expect(retried).toMatchObject({ deadLettered: false, retryCount: 1 });
    expect(retried.reason).toBeUndefined();
    expect(t.ports.publisher.queue).toEqual([
      { messageId: `${request.id}:retry:1`, message: migrateMessage },
    ]);
    expect(retried.history?.filter((h) => h.type === 'retry')).toHaveLength(1);
    // Nothing is dead-lettered any more: a second retry is refused (no double replay).
    await expectTriage(t.app.retryRequest(request.id), 'invalid-transition');

    expect((await t.drain()).deadLettered).toHaveLength(0);
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      deadLettered: false,
      progress: { total: 25, succeeded: 25, failed: 0, pending: 0 },
    });
  });

  test('batches whose item writes keep failing: each batch and the request are flagged with the error, and retry re-publishes the batches', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'o',
      mailboxes: mailboxes(15),
    });
    t.ports.items.failWrites = true;
    // Back-off until the chain gives up; recording that fails too (items still down), so Service Bus
    // redelivers the last successor until it dead-letters it, and its last delivery records it.
    const { deadLettered } = await t.drain();
    expect(deadLettered.map((m) => m.messageId)).toEqual([
      expect.stringMatching(new RegExp(`^${request.id}:batch:0001:a\\d+$`)),
      expect.stringMatching(new RegExp(`^${request.id}:batch:0002:a\\d+$`)),
    ]);
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'running', deadLettered: true, retryCount: 0 });
    expect(view.batches).toHaveLength(2);
    for (const batch of view.batches ?? []) {
      expect(batch).toMatchObject({ status: 'queued', deadLettered: true });
      expect(batch.lastError).toMatch(/delivery 10 of 10 .*items table unavailable/);
    }
    expect(view.history?.filter((h) => h.type === 'dead-letter').map((h) => h.message)).toEqual([
      expect.stringMatching(/^batch-0001 dead-lettered/),
      expect.stringMatching(/^batch-0002 dead-lettered/),
    ]);
    // Idempotent: a second record of the same batch message adds nothing.
    expect(await recordDeadLetter(t.ctx, deadLettered[0]!.message, migrateStandard(10), 'x')).toBe(
      'already-recorded',
    );
    expect(deadLetterEvents(t, request.id)).toHaveLength(2);

    t.ports.items.failWrites = false;
    t.ports.publisher.queue = [];
    const retried = await t.app.retryRequest(request.id);
    expect(retried).toMatchObject({ deadLettered: false, retryCount: 1 });
    expect(retried.batches?.every((b) => !b.deadLettered && b.lastError === undefined)).toBe(true);
    expect(t.ports.publisher.queue.map((m) => m.messageId)).toEqual([
      `${request.id}:batch:0001:retry:1`,
      `${request.id}:batch:0002:retry:1`,
    ]);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      deadLettered: false,
      progress: { total: 15, succeeded: 15, failed: 0, pending: 0 },
    });
  });

  test('a provisioning whose outcome cannot be written: backed off, given up as failed, retry re-queues it', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest(provision('o'));
    const store = t.ports.requests;
    const update = store.update.bind(store);
    let tableDown = true;
    store.update = async (record) => {
      if (tableDown && record.status === 'completed') throw new Error('requests table unavailable');
      return update(record);
    };
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(0);
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'failed', deadLettered: true });
    expect(view.reason).toMatch(/transient failures for \d+ s .*requests table unavailable/);
    expect(view.history?.filter((h) => h.type === 'dead-letter')).toHaveLength(1);

    tableDown = false;
    const retried = await t.app.retryRequest(request.id);
    expect(retried).toMatchObject({ status: 'queued', deadLettered: false, retryCount: 1 });
    expect(t.ports.publisher.queue.map((m) => m.messageId)).toEqual([`${request.id}:retry:1`]);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      deadLettered: false,
      retryCount: 1,
    });
  });

  test('retry answers 409 when nothing was dead-lettered; malformed messages are ignored', async () => {
    const t = createTestApp();
    const queued = await t.app.submitRequest(provision('o'));
    await expectTriage(t.app.retryRequest(queued.request.id), 'invalid-transition');
    await t.drain();
    await expectTriage(t.app.retryRequest(queued.request.id), 'invalid-transition'); // completed
    expect(await recordDeadLetter(t.ctx, { kind: 'nope' }, migrateStandard(10), 'x')).toBe('ignored');
    expect(await recordDeadLetter(t.ctx, 'not json', migrateStandard(10), 'x')).toBe('ignored');
    expect(t.ports.publisher.sent).toHaveLength(1);
  });

  test('a replay whose publish fails keeps the dead-letter visible for the next retry', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(5) });
    t.ports.items.failWrites = true;
    await t.drain();
    t.ports.items.failWrites = false;
    t.ports.publisher.fail = true;
    await expectTriage(t.app.retryRequest(request.id), 'dependency-unavailable');
    const view = await t.app.getRequest(request.id);
    expect(view.deadLettered).toBe(true);
    expect(view.batches?.[0]).toMatchObject({
      deadLettered: true,
      lastError: expect.stringMatching(/items table/),
    });
    t.ports.publisher.fail = false;
    await t.app.retryRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'completed', retryCount: 2 });
  });
});
