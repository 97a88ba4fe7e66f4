import type { ExecutionOutcome, ExecutionTask } from '../../../../shared/app/ports/executor';
import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { mailboxes, provision } from '../helpers';

/** A back-end that takes every task on as a long-running operation and answers its `polls`-th read done. */
function slowBackEnd(
  pollsToFinish: (task: ExecutionTask) => number,
  final: (task: ExecutionTask) => ExecutionOutcome = () => ({ ok: true, detail: 'moved' }),
): ScriptedExecutor {
  return new ScriptedExecutor(
    (task) => ({
      ok: 'in-progress',
      operationUrl: `https://backend.example/ops/${task.idempotencyKey}`,
      retryAfterMs: 60_000,
    }),
    (task, _url, poll) =>
      poll >= pollsToFinish(task)
        ? final(task)
        : {
            ok: 'in-progress',
            operationUrl: `https://backend.example/ops/${task.idempotencyKey}`,
            retryAfterMs: 60_000,
          },
  );
}

describe('long-running operations (202 Accepted, polled on scheduled messages)', () => {
  test('a migration whose moves run at the back-end: items in-progress, polled by scheduled messages, each moved once', async () => {
    const exec = slowBackEnd((task) => 1 + (Number(String(task.payload.address).match(/\d+/)?.[0]) % 3));
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(25) });
    const seenInProgress: number[] = [];
    const originalPoll = exec.poll!;
    // Watch the request as the back-end is polled: its items show in-progress, and the view counts them.
    (exec as { poll?: typeof originalPoll }).poll = async (task, url) => {
      const items = await t.app.listRequestItems(request.id, { status: 'in-progress' });
      seenInProgress.push(items.items.length);
      return originalPoll(task, url);
    };
    const started = t.clock.now().getTime();
    await t.drain({ redeliverCompletedOnce: true });
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({
      status: 'completed',
      progress: { total: 25, succeeded: 25, failed: 0, pending: 0 },
    });
    expect(view.progress.inProgress).toBeUndefined();
    // One start per item, polls on the back-end's Retry-After (a minute; no invocation was held meanwhile).
    expect([...exec.calls.values()].every((n) => n === 1)).toBe(true);
    expect([...exec.successes.values()].every((n) => n === 1)).toBe(true);
    expect(exec.successes.size).toBe(25);
    expect(Math.max(...seenInProgress)).toBeGreaterThan(0);
    expect(t.clock.now().getTime() - started).toBeGreaterThanOrEqual(3 * 60_000);
    const item = (await t.app.listRequestItems(request.id, {})).items[0];
    expect(item).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(item).not.toHaveProperty('operation');
  });

  test("while moves are in progress the request shows them: progress.inProgress and each item's operation", async () => {
    let release = false;
    const exec = new ScriptedExecutor(
      () => ({ ok: 'in-progress', operationUrl: 'https://backend.example/op', retryAfterMs: 30_000 }),
      () => (release ? { ok: true } : { ok: 'in-progress', operationUrl: 'https://backend.example/op' }),
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(12) });
    await t.drain({ steps: 12 });
    const view = await t.app.getRequest(request.id);
    expect(view.status).toBe('running');
    expect(view.progress).toMatchObject({ total: 12, succeeded: 0, pending: 12, inProgress: 12 });
    const listed = await t.app.listRequestItems(request.id, { status: 'in-progress' });
    expect(listed.items).toHaveLength(12);
    expect(listed.items[0]).toMatchObject({
      status: 'in-progress',
      operation: {
        startedAt: expect.any(String),
        nextPollAt: expect.any(String),
        deadlineAt: expect.any(String),
      },
    });
    // The status URL is the back-end's business: not shown.
    expect(JSON.stringify(listed)).not.toContain('backend.example');
    expect((await t.app.listRequestItems(request.id, { status: 'pending' })).items).toHaveLength(0);
    release = true;
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 12 },
    });
  });

  test('a move still in progress at its deadline fails with the reason; retry starts it again under the same key', async () => {
    let finished = false;
    const exec = new ScriptedExecutor(
      () => ({ ok: 'in-progress', operationUrl: 'https://backend.example/op' }),
      () => (finished ? { ok: true } : { ok: 'in-progress', operationUrl: 'https://backend.example/op' }),
    );
    const t = createTestApp({
      executor: exec,
      settings: {
        operations: { defaultPollMs: 60_000, minPollMs: 1_000, maxPollMs: 60_000, deadlineMs: 10 * 60_000 },
      },
    });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    await t.drain();
    const failed = await t.app.getRequest(request.id);
    expect(failed).toMatchObject({ status: 'failed', progress: { failed: 3, pending: 0 } });
    const items = (await t.app.listRequestItems(request.id, {})).items;
    expect(items.every((i) => /still in progress at its deadline \(0\.2 h/.test(i.reason ?? ''))).toBe(true);
    // About 10 polls each, a minute apart, then the deadline.
    expect([...exec.polls.values()].every((n) => n >= 9 && n <= 11)).toBe(true);
    finished = true;
    await t.app.retryRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 3 },
    });
    expect([...exec.calls.values()]).toEqual([2, 2, 2]);
  });

  test('a status that cannot be read (transient) is asked again later; it fails nothing before the deadline', async () => {
    const exec = new ScriptedExecutor(
      () => ({ ok: 'in-progress', operationUrl: 'https://backend.example/op' }),
      (_task, _url, poll) =>
        poll < 5 ? { ok: false, retryable: true, reason: 'status HTTP 503' } : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(4) });
    const drained = await t.drain();
    expect(drained.deadLettered).toHaveLength(0);
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 4 },
    });
    expect([...exec.polls.values()]).toEqual([5, 5, 5, 5]);
    expect([...exec.calls.values()]).toEqual([1, 1, 1, 1]);
  });

  test('a failed operation is a permanent item failure; the others of the batch succeed', async () => {
    const exec = slowBackEnd(
      () => 2,
      (task) =>
        task.payload.address === 'user1@contoso.example'
          ? { ok: false, retryable: false, reason: 'operation failed: MailboxLocked' }
          : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(5) });
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed-with-errors',
      progress: { succeeded: 4, failed: 1 },
    });
    const failed = (await t.app.listRequestItems(request.id, { status: 'failed' })).items;
    expect(failed).toEqual([
      expect.objectContaining({
        address: 'user1@contoso.example',
        reason: 'operation failed: MailboxLocked',
      }),
    ]);
  });

  test('cancel while moves run: nothing new starts, the running moves are polled to their end and counted', async () => {
    const exec = slowBackEnd(() => 3);
    const t = createTestApp({ executor: exec, settings: { batchSize: 5 } });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(5) });
    // The planning and the batch's first delivery (every move started), then cancel.
    await t.drain({ steps: 2 });
    expect(exec.calls.size).toBe(5);
    await t.app.cancelRequest(request.id);
    await t.drain();
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({
      status: 'cancelled',
      progress: { total: 5, succeeded: 5, failed: 0, pending: 0 },
    });
    expect(view.progress.cancelled).toBeUndefined();
    expect(view.batches?.[0]).toMatchObject({ status: 'cancelled', succeeded: 5 });
    expect([...exec.successes.values()]).toEqual([1, 1, 1, 1, 1]);
  });

  test('back-off giving up on a batch also gives up its moves in progress, so nothing stays open', async () => {
    const exec = new ScriptedExecutor(
      (task) =>
        task.payload.address === 'user0@contoso.example'
          ? { ok: false, retryable: true, reason: 'HTTP 503' }
          : { ok: 'in-progress', operationUrl: 'https://backend.example/op' },
      () => ({ ok: 'in-progress', operationUrl: 'https://backend.example/op' }),
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    await t.drain();
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'failed', deadLettered: true, progress: { failed: 3, pending: 0 } });
    const reasons = (await t.app.listRequestItems(request.id, {})).items.map((i) => i.reason ?? '');
    expect(reasons.filter((r) => r.includes('its operation was still in progress'))).toHaveLength(2);
  });

  test('a provisioning the back-end runs for a while: running with its operation, then completed', async () => {
    const exec = slowBackEnd(() => 4);
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    await t.drain({ steps: 2 });
    const running = await t.app.getRequest(request.id);
    expect(running).toMatchObject({
      status: 'running',
      progress: { inProgress: 1 },
      operation: { polls: 1 },
    });
    await t.drain({ redeliverCompletedOnce: true });
    const done = await t.app.getRequest(request.id);
    expect(done).toMatchObject({ status: 'completed', progress: { succeeded: 1 } });
    expect(done).not.toHaveProperty('operation');
    expect([...exec.successes.values()]).toEqual([1]);
    expect([...exec.calls.values()]).toEqual([1]);
  });

  test('a provisioning cancelled while its operation runs keeps polling and records what it ended as', async () => {
    const exec = slowBackEnd(() => 2);
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    await t.drain({ steps: 1 });
    await t.app.cancelRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'cancelled',
      progress: { succeeded: 1, failed: 0 },
    });
  });

  test('an executor without poll (the settings changed) starts the operation again under the same key', async () => {
    let n = 0;
    const exec = new ScriptedExecutor(() =>
      ++n === 1 ? { ok: 'in-progress', operationUrl: 'https://backend.example/op' } : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(1) });
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 1 },
    });
    expect([...exec.calls.values()]).toEqual([2]);
  });

  test('a hold while moves run: parked with its operations counted in the drain report, polled on resume', async () => {
    let release = false;
    const exec = new ScriptedExecutor(
      () => ({ ok: 'in-progress', operationUrl: 'https://backend.example/op', retryAfterMs: 30_000 }),
      () => (release ? { ok: true } : { ok: 'in-progress', operationUrl: 'https://backend.example/op' }),
    );
    const t = createTestApp({ executor: exec, settings: { batchSize: 5 } });
    const migration = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(10) });
    const provisioning = await t.app.submitRequest(provision('o'));
    // Planning, both batches and the provisioning: every move started and in progress at the back-end.
    await t.drain({ steps: 4 });
    expect(exec.calls.size).toBe(11);
    await t.app.placeHold('tier', 'standard', { reason: 'back-end upgrade' });
    await t.drain();
    const report = await t.app.getHold('tier', 'standard');
    expect(report).toMatchObject({ held: true, drained: true, parked: 3, atBackEnd: 11 });
    expect(await t.app.getRequest(migration.request.id)).toMatchObject({
      status: 'running',
      progress: { inProgress: 10 },
    });
    release = true;
    await t.app.resumeHold('tier', 'standard');
    await t.drain();
    expect(await t.app.getRequest(migration.request.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 10 },
    });
    expect(await t.app.getRequest(provisioning.request.id)).toMatchObject({ status: 'completed' });
    expect([...exec.calls.values()].every((n) => n === 1)).toBe(true);
  });
});
