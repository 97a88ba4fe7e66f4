import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { mailboxes, provision } from '../helpers';

describe('processBatch (through the delivery protocol)', () => {
  test('migration: batches, manifests, exact counts, and only the tier Function runs its tier', async () => {
    const exec = new ScriptedExecutor((task) =>
      task.payload.address === 'user7@contoso.example'
        ? { ok: false, retryable: false, reason: 'mailbox locked' }
        : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    await t.app.upsertOrg('gov', { name: 'Gov', sector: 'government', tier: 'government', evidence: 'test' });
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
    const manifests = [...t.ports.artifacts.manifests.entries()].filter(([k]) =>
      k.startsWith(`${request.id}/`),
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

  test('an attempt is one executor call: numbers advance across back-off and retries, never repeating', async () => {
    // Like the simulated executor, a failure decided per (key, attempt) repeats whenever the attempt does.
    const failUpTo = 25; // more than one chain of attempts fits in the test policy's 10 minutes
    const attempts = new Map<string, number[]>();
    const exec = new ScriptedExecutor((task) => {
      attempts.set(task.idempotencyKey, [...(attempts.get(task.idempotencyKey) ?? []), task.attempt]);
      return task.attempt <= failUpTo
        ? { ok: false, retryable: true, reason: `attempt ${task.attempt} failed` }
        : { ok: true };
    });
    const t = createTestApp({ executor: exec });
    const prov = await t.app.submitRequest(provision('o'));
    const migr = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    // Back-off, not Service Bus redelivery: nothing reaches a dead-letter queue; the chains are given up.
    expect((await t.drain()).deadLettered).toHaveLength(0);
    const givenUp = await t.app.getRequest(migr.request.id);
    expect(givenUp).toMatchObject({ status: 'failed', deadLettered: true, progress: { failed: 3 } });
    const firstChain = attempts.get(`${migr.request.id}:1:0`)!.length;
    expect(firstChain).toBeGreaterThan(5);
    expect(firstChain).toBeLessThan(failUpTo);
    const item = t.ports.items.items.get(`${migr.request.id}/1`)?.get(0);
    expect(item).toMatchObject({ status: 'failed', attempts: firstChain });
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
      expect(seen).toEqual(Array.from({ length: failUpTo + 1 }, (_, i) => i + 1));
    }
    expect(t.ports.items.items.get(`${migr.request.id}/1`)?.get(0)).toMatchObject({
      status: 'succeeded',
      attempts: failUpTo + 1,
    });
  });

  test('back-off: successors are scheduled with growing, jittered delays and derived messageIds', async () => {
    const exec = new ScriptedExecutor((_task, call) =>
      call <= 4 ? { ok: false, retryable: true, reason: '503' } : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    await t.drain();
    const successors = t.ports.publisher.sent.filter((m) => m.scheduledFor);
    expect(successors.map((m) => m.messageId)).toEqual([2, 3, 4, 5].map((a) => `${request.id}:a${a}`));
    expect(successors.map((m) => m.message.attempt)).toEqual([2, 3, 4, 5]);
    const firsts = new Set(successors.map((m) => m.message.firstAttemptAt));
    expect(firsts.size).toBe(1);
    // Equal jitter with random 0.5: 3/4 of 1 s, 2 s, 4 s, 8 s.
    const delays = successors.map((m, i) =>
      i === 0 ? undefined : m.scheduledFor!.getTime() - successors[i - 1]!.scheduledFor!.getTime(),
    );
    expect(delays.slice(1).every((d, i, all) => d! > 0 && (i === 0 || d! > all[i - 1]!))).toBe(true);
    expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'completed', attempts: 5 });
  });
});
