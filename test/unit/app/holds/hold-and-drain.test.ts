import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import type { ExecutionTask } from '../../../../shared/app/ports/executor';
import { currentHolds, forgetHolds, holdCacheInMs } from '../../../../shared/app/effects/holds';
import { expectTriage, mailboxes } from '../helpers';

type T = ReturnType<typeof createTestApp>;
const vm = (orgId: string, quantity: number) => ({
  kind: 'provision',
  orgId,
  resource: { type: 'vm', quantity, region: 'uksouth' },
});
const reason = { reason: 'back-end upgrade' };

async function register(t: T, orgId: string, tier: string): Promise<void> {
  await t.app.upsertOrg(orgId, { name: orgId, sector: tier, tier, evidence: 'test' });
}

/** Every executor call per idempotency key: exactly once means each is 1. */
const callsOf = (exec: ScriptedExecutor) => [...exec.calls.values()];

describe('hold and drain', () => {
  test('a held tier starts nothing: its provisioning is parked, shown with who held it and why; resume runs it exactly once', async () => {
    const exec = new ScriptedExecutor();
    const t = createTestApp({ executor: exec });
    await register(t, 'clinic', 'health');
    const placed = await t.app.placeHold('tier', 'standard', reason);
    expect(placed.created).toBe(true);
    expect(placed.report).toMatchObject({
      scope: 'tier',
      target: 'standard',
      held: true,
      drained: true,
      hold: { reason: 'back-end upgrade', heldBy: { id: 'auth-off' } },
    });

    const held = await t.app.submitRequest(vm('shop', 1));
    const free = await t.app.submitRequest(vm('clinic', 1));
    await t.drain();
    expect(exec.calls.has(`${held.request.id}:provision`)).toBe(false);
    expect((await t.app.getRequest(free.request.id)).status).toBe('completed');
    const view = await t.app.getRequest(held.request.id);
    expect(view.status).not.toBe('completed');
    expect(view.hold).toMatchObject({ scope: 'tier', target: 'standard', reason: 'back-end upgrade' });
    expect(view.history?.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/provisioning held: tier standard held by/),
    );
    expect((await t.app.getHold('tier', 'standard')).parked).toBe(1);
    const listed = await t.app.listRequests({});
    expect(listed.items.find((r) => r.id === held.request.id)?.hold?.target).toBe('standard');

    // Redelivered while held (a duplicate, the reconciler): still not started, still one parked row.
    await t.drain();
    expect(t.ports.holds.parked.size).toBe(1);

    const resumed = await t.app.resumeHold('tier', 'standard');
    expect(resumed).toMatchObject({
      resumed: { target: 'standard' },
      sent: 1,
      report: { held: false, parked: 0 },
    });
    await t.drain({ redeliverCompletedOnce: true });
    expect((await t.app.getRequest(held.request.id)).status).toBe('completed');
    expect((await t.app.getRequest(held.request.id)).hold).toBeUndefined();
    expect(callsOf(exec)).toEqual([1, 1]);
    // Audited with the caller.
    expect(t.ports.audit.entries.map((e) => [e.action, e.target])).toEqual(
      expect.arrayContaining([
        ['holds:write', 'tier standard'],
        ['holds:write', 'tier standard'],
      ]),
    );
  });

  test('a running batch finishes its in-flight items and stops at the next item boundary; on resume the rest runs exactly once', async () => {
    const world: { t?: T } = {};
    let migrated = 0;
    const exec = new ScriptedExecutor((task: ExecutionTask) => {
      const t = world.t;
      if (task.kind === 'migrate-mailbox' && ++migrated === 3 && t) {
        // The operator holds the tier while items are in flight (another instance: only the store changes),
        // and this instance's cached view of the holds expires (as it does within holdCacheInMs).
        t.ports.holds.holds.set('tier-standard', {
          scope: 'tier',
          target: 'standard',
          reason: 'storage maintenance',
          heldBy: { id: 'olga', name: 'Olga' },
          since: new Date().toISOString(),
        });
        forgetHolds(t.ctx);
      }
      return { ok: true };
    });
    const t = createTestApp({ executor: exec, settings: { batchSize: 20, itemConcurrency: 2 } });
    world.t = t;
    const { request } = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'shop',
      mailboxes: mailboxes(20),
    });
    await t.drain();
    // Two in flight when it was held: at most those finish after the third call.
    const before = migrated;
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThanOrEqual(4);
    const stopped = await t.app.getRequest(request.id);
    expect(stopped.status).toBe('running');
    // Progress rolls up when a batch completes; the items table has what finished.
    expect((await t.app.listRequestItems(request.id, { status: 'succeeded' })).items).toHaveLength(before);
    expect(stopped.hold).toMatchObject({ reason: 'storage maintenance', heldBy: { name: 'Olga' } });
    const report = await t.app.getHold('tier', 'standard');
    expect(report).toMatchObject({ held: true, drained: true, parked: 1, running: { batches: 0, items: 0 } });
    expect((await t.app.listHolds()).items.map((h) => h.target)).toEqual(['standard']);

    await t.app.resumeHold('tier', 'standard');
    await t.drain({ redeliverCompletedOnce: true });
    const done = await t.app.getRequest(request.id);
    expect(done).toMatchObject({ status: 'completed', progress: { succeeded: 20, failed: 0 } });
    expect(callsOf(exec)).toHaveLength(20);
    expect(callsOf(exec).every((n) => n === 1)).toBe(true);
  });

  test('the drain report counts what runs now across instances, and says drained once it stopped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const t = createTestApp({
      executor: {
        name: 'gated',
        execute: async () => {
          started();
          await gate;
          return { ok: true };
        },
      },
      settings: { batchSize: 10, itemConcurrency: 2 },
    });
    const { request } = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'shop',
      mailboxes: mailboxes(10),
    });
    const draining = t.drain();
    await running;
    await t.app.placeHold('org', 'shop', reason).catch((e: unknown) => e); // not registered: refused
    await t.app.upsertOrg('shop', { name: 'Shop', sector: 'retail', tier: 'standard' });
    const { report } = await t.app.placeHold('org', 'shop', reason);
    expect(report).toMatchObject({
      held: true,
      drained: false,
      running: { batches: 1, provisionings: 0, items: 2 },
    });
    release();
    await draining;
    const after = await t.app.getHold('org', 'shop');
    expect(after).toMatchObject({ drained: true, running: { batches: 0 }, parked: 1 });
    expect((await t.app.listRequestItems(request.id, { status: 'succeeded' })).items).toHaveLength(2);
    // The registry listing shows the hold on the organisation.
    const orgs = await t.app.listOrgs({});
    expect(orgs.items.find((o) => o.orgId === 'shop')?.hold).toMatchObject({
      scope: 'org',
      reason: 'back-end upgrade',
    });
  });

  test('a waiting pool claim keeps its place while held but is not admitted; the next one that may start takes the capacity', async () => {
    const exec = new ScriptedExecutor();
    const t = createTestApp({ executor: exec });
    await register(t, 'hospital', 'health');
    await register(t, 'ministry', 'government');
    await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 4 });
    const holding = await t.app.submitRequest(vm('hospital', 4));
    await t.drain();
    const first = await t.app.submitRequest(vm('hospital', 4));
    const second = await t.app.submitRequest(vm('ministry', 4));
    await t.drain();
    expect((await t.app.getPoolQueue('vm-uk', {})).items.map((i) => i.requestId)).toEqual([
      first.request.id,
      second.request.id,
    ]);

    await t.app.placeHold('org', 'hospital', { reason: 'licences lapsed' });
    const queue = await t.app.getPoolQueue('vm-uk', {});
    expect(queue.items[0]).toMatchObject({
      requestId: first.request.id,
      position: 1,
      hold: { target: 'hospital' },
    });
    await t.app.releaseRequest(holding.request.id);
    await t.drain();
    // The held claim is skipped, not removed: the government claim behind it takes the capacity.
    expect((await t.app.getRequest(second.request.id)).status).toBe('completed');
    expect(exec.calls.has(`${first.request.id}:provision`)).toBe(false);
    expect((await t.app.getPoolQueue('vm-uk', {})).items.map((i) => i.requestId)).toEqual([first.request.id]);

    await t.app.releaseRequest(second.request.id);
    await t.drain();
    expect(exec.calls.has(`${first.request.id}:provision`)).toBe(false);
    await t.app.resumeHold('org', 'hospital');
    await t.drain();
    expect((await t.app.getRequest(first.request.id)).status).toBe('completed');
    expect(callsOf(exec).every((n) => n === 1)).toBe(true);
  });

  test('an organisation held on its own stays parked when its tier resumes; bad input names the field', async () => {
    const exec = new ScriptedExecutor();
    const t = createTestApp({ executor: exec });
    await t.app.upsertOrg('shop', { name: 'Shop', sector: 'retail', tier: 'standard' });
    await t.app.placeHold('tier', 'standard', reason);
    await t.app.placeHold('org', 'shop', { reason: 'contract dispute' });
    const shop = await t.app.submitRequest(vm('shop', 1));
    const other = await t.app.submitRequest(vm('cafe', 1));
    await t.drain();
    expect((await t.app.resumeHold('tier', 'standard')).sent).toBe(1);
    await t.drain();
    expect((await t.app.getRequest(other.request.id)).status).toBe('completed');
    expect((await t.app.getRequest(shop.request.id)).hold).toMatchObject({
      scope: 'org',
      reason: 'contract dispute',
    });
    expect(exec.calls.has(`${shop.request.id}:provision`)).toBe(false);
    await t.app.resumeHold('org', 'shop');
    await t.drain();
    expect((await t.app.getRequest(shop.request.id)).status).toBe('completed');

    await expectTriage(t.app.placeHold('tier', 'standard', {}), 'validation');
    await expectTriage(t.app.placeHold('tier', 'gold', reason), 'validation');
    await expectTriage(t.app.placeHold('org', 'nobody', reason), 'not-found');
    await expectTriage(t.app.resumeHold('tier', 'standard'), 'not-found');
  });
  test("another instance's hold is seen within the cache time; this instance's own at once", async () => {
    const t = createTestApp();
    // Wall-clock time (the app's clock may run fast: TRIAGE_CLOCK_SPEED), fixed so load cannot move it.
    const start = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(start);
    expect(await currentHolds(t.ctx)).toEqual([]);
    // Placed elsewhere (only the store changes): this process may not see it for up to holdCacheInMs.
    t.ports.holds.holds.set('tier-health', {
      scope: 'tier',
      target: 'health',
      reason: 'elsewhere',
      heldBy: { id: 'x', name: 'x' },
      since: new Date().toISOString(),
    });
    expect(await currentHolds(t.ctx)).toEqual([]);
    now.mockReturnValue(start + holdCacheInMs - 1);
    expect(await currentHolds(t.ctx)).toEqual([]);
    now.mockReturnValue(start + holdCacheInMs + 1);
    expect((await currentHolds(t.ctx)).map((h) => h.target)).toEqual(['health']);
    jest.restoreAllMocks();
    await t.app.placeHold('tier', 'standard', reason);
    expect((await currentHolds(t.ctx)).map((h) => h.target).sort()).toEqual(['health', 'standard']);
  });
  test('with execution slots: a held batch stops at the same checkpoint as a yield and gives its slots back; resumed, each item runs once', async () => {
    let release!: () => void;
    let gate = new Promise<void>((resolve) => (release = resolve));
    let inFlight = 0;
    const calls = new Map<string, number>();
    const t = createTestApp({
      executor: {
        name: 'gated',
        execute: async (task) => {
          calls.set(task.idempotencyKey, (calls.get(task.idempotencyKey) ?? 0) + 1);
          inFlight++;
          await gate;
          inFlight--;
          return { ok: true };
        },
      },
      settings: {
        batchSize: 12,
        itemConcurrency: 3,
        executionSlots: {
          spec: { capacity: 4, reserved: {} },
          leaseDurationMs: 5_000,
          maxWaitMs: 5_000,
          checkpointMs: 5,
          successorDelayMs: 1_000,
        },
      },
    });
    const { request } = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'shop',
      mailboxes: mailboxes(12),
    });
    const draining = t.drain();
    for (const deadline = Date.now() + 5_000; inFlight < 3;) {
      if (Date.now() > deadline) throw new Error('the batch never took its slots');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(await t.app.getExecutionSlots()).toMatchObject({ used: 3 });
    await t.app.placeHold('tier', 'standard', reason);
    release();
    await draining;
    expect(calls.size).toBe(3);
    expect(await t.app.getExecutionSlots()).toMatchObject({ used: 0 });
    expect(await t.app.getHold('tier', 'standard')).toMatchObject({ drained: true, parked: 1 });

    gate = Promise.resolve();
    await t.app.resumeHold('tier', 'standard');
    await t.drain({ redeliverCompletedOnce: true });
    expect((await t.app.getRequest(request.id)).progress).toMatchObject({ succeeded: 12, failed: 0 });
    expect([...calls.values()]).toEqual(Array.from({ length: 12 }, () => 1));
  });
});
