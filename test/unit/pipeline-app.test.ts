import { InvocationContext } from '@azure/functions';
import * as runtime from '../../functions/runtime';
import type * as TierWorkers from '../../functions/tier-workers';
import { isTriageError } from '../../shared/domain/errors';
import { workTopics } from '../../shared/domain/topology';
import { topology } from '../../shared/topology';
import { createTestApp, ScriptedExecutor } from './support/in-memory-ports';

const provision = (orgId: string) => ({
  kind: 'provision',
  orgId,
  resource: { type: 'vm', quantity: 2, region: 'uksouth' },
});
const mailboxes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ address: `user${i}@contoso.example`, sizeBytes: i }));

async function expectTriage(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTriageError(err) ? err.code : err).toBe(code);
}

describe('createApp use-cases (in-memory ports)', () => {
  test('submit → publish → tier worker → executor → completed, at the registry tier', async () => {
    const t = createTestApp();
    await t.app.upsertOrg('nhs', { name: 'NHS Trust', sector: 'health', tier: 'health' });
    const { request } = await t.app.submitRequest(provision('nhs'));
    expect(request).toMatchObject({ tier: 'health', status: 'queued' });
    expect(t.ports.publisher.queue[0]).toMatchObject({
      messageId: request.id,
      message: { tier: 'health', kind: 'provision' },
    });
    await t.drain();
    const done = await t.app.getRequest(request.id);
    expect(done).toMatchObject({
      status: 'completed',
      processedBy: 'provision-health',
      progress: { total: 1, succeeded: 1, failed: 0, pending: 0 },
    });
    expect(done.history?.map((h) => h.status).filter(Boolean)).toEqual([
      'received',
      'queued',
      'running',
      'completed',
    ]);
    await t.app.flushNotifications();
    expect(t.ports.publisher.notifications.map((n) => n.status)).toEqual([
      'received',
      'queued',
      'running',
      'completed',
    ]);
  });

  test('an unregistered organisation is served at standard; a tier in the body is a 400 and nothing is stored', async () => {
    const t = createTestApp();
    expect((await t.app.getOrg('nobody')).tier).toBe('standard');
    await expectTriage(t.app.submitRequest({ ...provision('nobody'), tier: 'health' }), 'validation');
    expect(t.ports.requests.requests.size).toBe(0);
    expect(t.ports.publisher.sent).toHaveLength(0);
    const { request } = await t.app.submitRequest(provision('nobody'));
    expect(request.tier).toBe('standard');
  });

  test('Idempotency-Key: same body returns the same request; another body is a conflict', async () => {
    const t = createTestApp();
    const first = await t.app.submitRequest(provision('o1'), { idempotencyKey: 'k-1' });
    const again = await t.app.submitRequest(provision('o1'), { idempotencyKey: 'k-1' });
    expect(again.request.id).toBe(first.request.id);
    expect(again.created).toBe(false);
    await expectTriage(
      t.app.submitRequest(
        { ...provision('o1'), resource: { type: 'vm', quantity: 3, region: 'uksouth' } },
        { idempotencyKey: 'k-1' },
      ),
      'idempotency-mismatch',
    );
    expect(t.ports.requests.requests.size).toBe(1);
  });

  test('a failed publish answers dependency-unavailable; the idempotent replay publishes it', async () => {
    const t = createTestApp();
    t.ports.publisher.fail = true;
    await expectTriage(
      t.app.submitRequest(provision('o1'), { idempotencyKey: 'k' }),
      'dependency-unavailable',
    );
    t.ports.publisher.fail = false;
    const replay = await t.app.submitRequest(provision('o1'), { idempotencyKey: 'k' });
    expect(replay.request.status).toBe('queued');
    await t.drain();
    expect((await t.app.getRequest(replay.request.id)).status).toBe('completed');
  });

  test('migration: batches, manifests, exact counts, and only the tier Function runs its tier', async () => {
    const exec = new ScriptedExecutor((task) =>
      task.payload.address === 'user7@contoso.example'
        ? { ok: false, retryable: false, reason: 'mailbox locked' }
        : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    await t.app.upsertOrg('gov', { name: 'Gov', sector: 'government', tier: 'government' });
    const { request } = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'gov',
      mailboxes: mailboxes(95),
    });
    await t.drain();
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({
      status: 'completed-with-errors',
      batchCount: 10,
      batchesCompleted: 10,
      progress: { total: 95, succeeded: 94, failed: 1, pending: 0 },
    });
    expect(t.processed.every((p) => p.functionName === `migrate-${p.tier}` && p.tier === 'government')).toBe(
      true,
    );
    const manifests = [...t.ports.artifacts.blobs.entries()].filter(([k]) =>
      k.startsWith(`manifests/${request.id}/`),
    );
    expect(manifests.flatMap(([, v]) => v.map((m) => m.address)).sort()).toEqual(
      mailboxes(95)
        .map((m) => m.address)
        .sort(),
    );
    expect([...exec.successes.values()].every((n) => n === 1)).toBe(true);
    expect(exec.successes.size).toBe(94);
  });

  test('exactly once: every message redelivered after completion and 10% transient failures → each item succeeds once', async () => {
    let n = 0;
    const exec = new ScriptedExecutor(() =>
      ++n % 10 === 0 ? { ok: false, retryable: true, reason: '503' } : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(300) });
    // Also a duplicate publish of every batch message (a producer retry outside the dedup window).
    await t.drain({ redeliverCompletedOnce: true });
    const view = await t.app.getRequest(request.id);
    expect(view.progress).toEqual({ total: 300, succeeded: 300, failed: 0, pending: 0 });
    expect(view.status).toBe('completed');
    expect(exec.successes.size).toBe(300);
    expect([...exec.successes.values()].every((c) => c === 1)).toBe(true);
  });

  test('a message claiming a higher tier is re-routed to the real tier and recorded', async () => {
    const t = createTestApp();
    await t.app.upsertOrg('shop', { name: 'Shop', sector: 'retail', tier: 'standard' });
    // A trusted producer publishes directly, claiming health.
    await t.ports.publisher.publishWork([
      {
        messageId: 'direct-1',
        message: {
          schemaVersion: 1,
          kind: 'provision',
          requestId: 'direct-1',
          orgId: 'shop',
          tier: 'health',
          resource: { type: 'vm', quantity: 1, region: 'r' },
        },
      },
    ]);
    await t.drain();
    const view = await t.app.getRequest('direct-1');
    expect(view).toMatchObject({ status: 'completed', tier: 'standard', processedBy: 'provision-standard' });
    expect(view.history?.some((h) => h.type === 'reroute')).toBe(true);
  });

  test('transient failures exhaust deliveries → dead-letter visible, retry completes it', async () => {
    let broken = true;
    const exec = new ScriptedExecutor(() =>
      broken ? { ok: false, retryable: true, reason: 'timeout' } : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(1);
    expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'failed', deadLettered: true });
    broken = false;
    await t.app.retryRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      deadLettered: false,
      retryCount: 1,
    });
  });

  test('retry re-queues only the failed items of a migration', async () => {
    let fail = true;
    const exec = new ScriptedExecutor((task) =>
      fail && String(task.payload.address).startsWith('user1')
        ? { ok: false, retryable: false, reason: 'no' }
        : { ok: true },
    );
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

  test('the executor attempt advances across redeliveries and retries, never repeating', async () => {
    // Like the simulated executor, a failure decided per (key, attempt) repeats whenever the attempt does.
    const maxDeliveryCount = 10;
    const attempts = new Map<string, number[]>();
    const exec = new ScriptedExecutor((task) => {
      attempts.set(task.idempotencyKey, [...(attempts.get(task.idempotencyKey) ?? []), task.attempt]);
      return task.attempt <= maxDeliveryCount
        ? { ok: false, retryable: true, reason: `attempt ${task.attempt} failed` }
        : { ok: true };
    });
    const t = createTestApp({ executor: exec });
    const prov = await t.app.submitRequest(provision('o'));
    const migr = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    expect((await t.drain()).deadLettered).toHaveLength(2); // the provisioning and the one batch
    await t.app.retryRequest(prov.request.id);
    await t.app.retryRequest(migr.request.id);
    await t.drain();
    expect((await t.app.getRequest(prov.request.id)).status).toBe('completed');
    expect(await t.app.getRequest(migr.request.id)).toMatchObject({
      status: 'completed',
      progress: { total: 3, succeeded: 3, failed: 0 },
    });
    expect(attempts.size).toBe(4);
    for (const seen of attempts.values()) {
      expect(seen).toEqual(Array.from({ length: maxDeliveryCount + 1 }, (_, i) => i + 1));
    }
  });

  test('a provisioning cancelled just after its worker read it does not start', async () => {
    const exec = new ScriptedExecutor();
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    const store = t.ports.requests;
    const get = store.get.bind(store);
    let armed = true;
    store.get = async (id) => {
      const read = await get(id);
      if (armed && read?.status === 'queued') {
        armed = false;
        await t.app.cancelRequest(id); // lands between the worker's read and its move to running
      }
      return read;
    };
    await t.drain();
    expect(exec.calls.size).toBe(0);
    expect((await t.app.getRequest(request.id)).status).toBe('cancelled');
  });

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

  describe("dead-letters that are not the executor's (recordDeliveryExhausted) and their replay", () => {
    const deadLetterEvents = (t: ReturnType<typeof createTestApp>, requestId: string) =>
      t.ports.events.events.filter((e) => e.requestId === requestId && e.type === 'dead-letter');
    const ctxOf = (deliveryCount: number) => ({
      functionName: 'migrate-standard',
      tier: 'standard',
      deliveryCount,
      maxDeliveryCount: 10,
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
      await expect(t.app.processWork(structuredClone(migrateMessage), ctxOf(1))).rejects.toThrow(
        /broker refused/,
      );
      expect(await t.app.recordDeliveryExhausted(migrateMessage, ctxOf(1), 'broker refused')).toBe('ignored');
      expect(await t.app.getRequest(request.id)).toMatchObject({ deadLettered: false });
      expect(deadLetterEvents(t, request.id)).toHaveLength(0);

      const { deadLettered } = await t.drain();
      expect(deadLettered.map((m) => m.message.kind)).toEqual(['migrate']);
      const view = await t.app.getRequest(request.id);
      expect(view).toMatchObject({ status: 'running', batchCount: 3, deadLettered: true });
      expect(view.reason).toMatch(/delivery 10 of 10 \(migrate-standard\) failed: .*broker refused/);
      expect(view.batches?.every((b) => !b.deadLettered)).toBe(true);
      expect(view.history?.filter((h) => h.type === 'dead-letter')).toHaveLength(1);

      // Recording it again (a duplicate delivery, a second handler) changes nothing.
      expect(await t.app.recordDeliveryExhausted(migrateMessage, ctxOf(10), 'again')).toBe(
        'already-recorded',
      );
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
      const { deadLettered } = await t.drain();
      expect(deadLettered.map((m) => m.messageId)).toEqual([
        `${request.id}:batch:0001`,
        `${request.id}:batch:0002`,
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
      expect(await t.app.recordDeliveryExhausted(deadLettered[0]!.message, ctxOf(10), 'x')).toBe(
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

    test('a provisioning whose outcome cannot be written: recorded on the last delivery only, status kept, retry re-publishes it', async () => {
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
      expect(deadLettered).toHaveLength(1);
      const view = await t.app.getRequest(request.id);
      expect(view).toMatchObject({ status: 'running', deadLettered: true });
      expect(view.reason).toMatch(
        /delivery 10 of 10 \(provision-standard\) failed: requests table unavailable/,
      );
      expect(view.history?.filter((h) => h.type === 'dead-letter')).toHaveLength(1);

      tableDown = false;
      const retried = await t.app.retryRequest(request.id);
      expect(retried).toMatchObject({ status: 'running', deadLettered: false, retryCount: 1 });
      expect(t.ports.publisher.queue.map((m) => m.messageId)).toEqual([`${request.id}:retry:1`]);
      await t.drain();
      expect(await t.app.getRequest(request.id)).toMatchObject({
        status: 'completed',
        deadLettered: false,
        retryCount: 1,
      });
    });

    test('the executor path records its own dead-letter: the error is marked and nothing is recorded twice', async () => {
      const exec = new ScriptedExecutor(() => ({ ok: false, retryable: true, reason: 'timeout' }));
      const t = createTestApp({ executor: exec });
      const { request } = await t.app.submitRequest(provision('o'));
      const message = structuredClone(t.ports.publisher.queue[0]!.message);
      const ctx = {
        functionName: 'provision-standard',
        tier: 'standard',
        deliveryCount: 10,
        maxDeliveryCount: 10,
      };
      const err = await t.app.processWork(message, ctx).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTriageError(err) && err.retryable).toBe(true);
      expect(t.app.deadLetterRecorded(err)).toBe(true);
      expect(t.app.deadLetterRecorded(new Error('other'))).toBe(false);
      // Even if the handler did call it, the stored state says there is nothing left to record.
      expect(await t.app.recordDeliveryExhausted(message, ctx, 'x')).toBe('ignored');
      expect(deadLetterEvents(t, request.id)).toHaveLength(1);
      expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'failed', deadLettered: true });
    });

    test('retry answers 409 when nothing was dead-lettered; malformed messages are ignored', async () => {
      const t = createTestApp();
      const queued = await t.app.submitRequest(provision('o'));
      await expectTriage(t.app.retryRequest(queued.request.id), 'invalid-transition');
      await t.drain();
      await expectTriage(t.app.retryRequest(queued.request.id), 'invalid-transition'); // completed
      expect(await t.app.recordDeliveryExhausted({ kind: 'nope' }, ctxOf(10), 'x')).toBe('ignored');
      expect(await t.app.recordDeliveryExhausted('not json', ctxOf(10), 'x')).toBe('ignored');
      expect(t.ports.publisher.sent).toHaveLength(1);
    });

    test('the tier Function records on the last delivery only, rethrows the original error, and survives a failed record', async () => {
      const t = createTestApp();
      const getApp = jest.spyOn(runtime, 'getApp').mockResolvedValue(t.app);
      // Loading the Functions registers them; outside a host @azure/functions says so once per Function.
      const quiet = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      let tierHandler: typeof TierWorkers.tierHandler;
      try {
        ({ tierHandler } = jest.requireActual<typeof TierWorkers>('../../functions/tier-workers'));
      } finally {
        quiet.mockRestore();
      }
      try {
        const { request } = await t.app.submitRequest({
          kind: 'migrate',
          orgId: 'o',
          mailboxes: mailboxes(5),
        });
        const body = JSON.stringify(t.ports.publisher.queue[0]!.message); // a string body is parsed too
        t.ports.publisher.failWhen = (m) => m.message.kind === 'migrate-batch';
        const migration = workTopics(topology).find((w) => w.name === 'migration')!;
        const handle = tierHandler(migration, 'standard');
        const logged: string[] = [];
        const context = (deliveryCount: number) =>
          new InvocationContext({
            triggerMetadata: { deliveryCount },
            logHandler: (_level, ...args) => logged.push(args.join(' ')),
          });

        await expect(handle(body, context(9))).rejects.toThrow(/broker refused/);
        expect(await t.app.getRequest(request.id)).toMatchObject({ deadLettered: false });

        const record = jest
          .spyOn(t.app, 'recordDeliveryExhausted')
          .mockRejectedValueOnce(new Error('table down'));
        await expect(handle(body, context(10))).rejects.toThrow(/broker refused/);
        expect(logged.some((l) => /dead-letter not recorded on the request: table down/.test(l))).toBe(true);
        record.mockRestore();

        await expect(handle(body, context(10))).rejects.toThrow(/broker refused/);
        const view = await t.app.getRequest(request.id);
        expect(view).toMatchObject({ deadLettered: true });
        expect(view.reason).toMatch(/broker refused/);
        expect(deadLetterEvents(t, request.id)).toHaveLength(1);
      } finally {
        getApp.mockRestore();
      }
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
