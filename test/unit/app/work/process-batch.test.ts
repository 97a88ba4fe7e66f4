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
});
