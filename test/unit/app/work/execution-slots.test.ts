import type { AppSettings } from '../../../../shared/app/context';
import type { ExecutionOutcome, ExecutionTask, Executor } from '../../../../shared/app/ports/executor';
import type { OutgoingWorkMessage } from '../../../../shared/app/ports/publisher';
import { createTestApp } from '../../../support/in-memory-ports';
import type { MemorySlotStore } from '../../../support/in-memory-slot-store';
import { mailboxes } from '../helpers';

/** A back-end that takes `latencyMs` per call and records how many calls of each tier run at once. */
class MeteredExecutor implements Executor {
  readonly name = 'metered';
  inFlight = 0;
  maxInFlight = 0;
  byTier = new Map<string, number>();
  calls = new Map<string, number>();
  order: string[] = [];
  constructor(private readonly latencyMs: (task: ExecutionTask) => number) {}
  async execute(task: ExecutionTask): Promise<ExecutionOutcome> {
    this.calls.set(task.idempotencyKey, (this.calls.get(task.idempotencyKey) ?? 0) + 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.byTier.set(task.tier, (this.byTier.get(task.tier) ?? 0) + 1);
    this.order.push(task.tier);
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs(task)));
    this.inFlight--;
    this.byTier.set(task.tier, this.byTier.get(task.tier)! - 1);
    return { ok: true };
  }
}

const slotSettings = (capacity: number, over: Partial<NonNullable<AppSettings['executionSlots']>> = {}) => ({
  executionSlots: {
    spec: { capacity, reserved: {} },
    leaseDurationMs: 5_000,
    maxWaitMs: 5_000,
    checkpointMs: 5,
    successorDelayMs: 1_000,
    ...over,
  },
});

async function until(what: string, probe: () => boolean, timeoutInMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function setup(executor: MeteredExecutor, settings: Partial<AppSettings>) {
  const t = createTestApp({ executor, settings: { batchSize: 40, itemConcurrency: 4, ...settings } });
  const take = (kind: string, tier?: string): OutgoingWorkMessage => {
    const i = t.ports.publisher.queue.findIndex(
      (m) => m.message.kind === kind && (!tier || m.message.tier === tier),
    );
    if (i < 0) throw new Error(`no ${kind} message queued`);
    return t.ports.publisher.queue.splice(i, 1)[0]!;
  };
  const deliver = (m: OutgoingWorkMessage) =>
    t.app.handleDelivery(structuredClone(m.message), t.deliveryOf(m.message, 1, m.messageId));
  /** The one message scheduled for later, taken off the publisher. */
  const takeScheduled = (): OutgoingWorkMessage => {
    expect(t.ports.publisher.scheduled).toHaveLength(1);
    return t.ports.publisher.scheduled.pop()!;
  };
  return { t, take, takeScheduled, deliver, slots: t.ports.slots as MemorySlotStore };
}

describe('execution slots in the work use-cases', () => {
  test('a tier-4 batch holding every slot yields for tier 1, which starts at once; every item runs exactly once', async () => {
    const exec = new MeteredExecutor(() => 15);
    const { t, take, deliver, slots } = setup(exec, { ...slotSettings(4), batchSize: 80 });
    await t.app.upsertOrg('nhs', { name: 'NHS', sector: 'health', tier: 'health', evidence: 'test' });
    const flood = await t.app.submitRequest({ kind: 'migrate', orgId: 'shop', mailboxes: mailboxes(80) });
    await deliver(take('migrate'));
    const floodBatch = deliver(take('migrate-batch'));
    await until('the flood holds every slot', () => exec.byTier.get('standard') === 4);

    const urgent = await t.app.submitRequest({ kind: 'migrate', orgId: 'nhs', mailboxes: mailboxes(8) });
    await deliver(take('migrate', 'health'));
    const urgentBatch = deliver(take('migrate-batch', 'health'));
    await until('health runs', () => (exec.byTier.get('health') ?? 0) > 0);
    await expect(urgentBatch).resolves.toBe('batch-completed');
    await expect(floodBatch).resolves.toBe('batch-completed');

    expect(exec.maxInFlight).toBeLessThanOrEqual(4);
    expect([...exec.calls.values()].every((n) => n === 1)).toBe(true);
    expect(exec.calls.size).toBe(88);
    for (const id of [flood.request.id, urgent.request.id]) {
      expect((await t.app.getRequest(id)).status).toBe('completed');
    }
    // Health ran while the flood batch was still open (it had hardly started), which then resumed.
    const firstHealth = exec.order.indexOf('health');
    const lastHealth = exec.order.lastIndexOf('health');
    expect(exec.order.slice(lastHealth).filter((tier) => tier === 'standard').length).toBeGreaterThan(40);
    // And nothing of the flood started while health was running.
    expect(exec.order.slice(firstHealth, lastHealth).includes('standard')).toBe(false);
    expect(slots.leases.size).toBe(0);
    expect(slots.ledger?.summary.usedByTier).toEqual({});
  });

  test('a few storage transactions per batch, not one per item', async () => {
    const exec = new MeteredExecutor(() => 1);
    const { t, deliver, take, slots } = setup(exec, {
      ...slotSettings(64),
      batchSize: 100,
      itemConcurrency: 16,
    });
    await t.app.submitRequest({ kind: 'migrate', orgId: 'shop', mailboxes: mailboxes(300) });
    await deliver(take('migrate'));
    for (let i = 0; i < 3; i++) await deliver(take('migrate-batch'));
    expect(exec.calls.size).toBe(300);
    // Grant and release per batch of 100.
    expect(slots.commits).toBeLessThanOrEqual(6);
  });

  test('work that waits longer than it may for slots completes its message with a scheduled successor', async () => {
    const exec = new MeteredExecutor((task) => (task.kind === 'migrate-mailbox' ? 60 : 1));
    const { t, take, takeScheduled, deliver, slots } = setup(exec, slotSettings(1, { maxWaitMs: 20 }));
    await t.app.submitRequest({ kind: 'migrate', orgId: 'shop', mailboxes: mailboxes(4) });
    await deliver(take('migrate'));
    const holding = deliver(take('migrate-batch'));
    await until('the batch holds the slot', () => exec.inFlight === 1);
    const { request } = await t.app.submitRequest({
      kind: 'provision',
      orgId: 'shop',
      resource: { type: 'vm', quantity: 1, region: 'uksouth' },
    });
    const before = Date.now();
    await expect(deliver(take('provision'))).resolves.toBe('rescheduled');
    // The one successor protocol: an id derived from the incoming one, the same attempt (nothing failed).
    const successor = takeScheduled();
    expect(successor.messageId).toBe(`${request.id}:w1`);
    expect(successor.message.attempt).toBeUndefined();
    expect(successor.scheduledFor!.getTime()).toBeGreaterThanOrEqual(before + 1_000);
    // Its Function took it (running); the executor was never called.
    expect((await t.app.getRequest(request.id)).status).toBe('running');
    expect(exec.calls.has(`${request.id}:provision`)).toBe(false);
    // Still no slot: the successor waits again, under the next id of the chain.
    await expect(deliver(successor)).resolves.toBe('rescheduled');
    const second = takeScheduled();
    expect(second.messageId).toBe(`${request.id}:w2`);
    await holding;
    // The successor runs it; the line it left holds no trace of the wait.
    await expect(deliver(second)).resolves.toBe('completed');
    expect(slots.leases.size).toBe(0);
  });

  test('another delivery of a batch waits while the first holds its lease, then finds it done', async () => {
    const exec = new MeteredExecutor(() => 10);
    const { t, take, deliver } = setup(exec, slotSettings(8));
    await t.app.submitRequest({ kind: 'migrate', orgId: 'shop', mailboxes: mailboxes(8) });
    await deliver(take('migrate'));
    const message = take('migrate-batch');
    const first = deliver(message);
    await until('the first delivery runs', () => exec.inFlight > 0);
    const second = deliver(message);
    await expect(first).resolves.toBe('batch-completed');
    await expect(second).resolves.toBe('duplicate');
    expect([...exec.calls.values()].every((n) => n === 1)).toBe(true);
  });

  test('GET /api/execution-slots shows the slots in use per tier, the holders and the work waiting, in line order', async () => {
    const exec = new MeteredExecutor(() => 20);
    const { t, take, deliver } = setup(exec, {
      ...slotSettings(4, { spec: { capacity: 4, reserved: { health: 1 } } }),
      batchSize: 6,
      itemConcurrency: 3,
    });
    expect(await createTestApp().app.getExecutionSlots()).toEqual({ enabled: false });
    await t.app.submitRequest({ kind: 'migrate', orgId: 'shop', mailboxes: mailboxes(12) });
    await deliver(take('migrate'));
    const first = deliver(take('migrate-batch'));
    await until('the first batch holds its slots', () => exec.inFlight === 3);
    const second = deliver(take('migrate-batch'));
    // The second batch joins the line (polled with a deadline, like any observable condition).
    let view = await t.app.getExecutionSlots();
    for (const deadline = Date.now() + 5_000; view.enabled && view.waiting.length === 0;) {
      if (Date.now() > deadline) throw new Error('the second batch never waited');
      await new Promise((resolve) => setTimeout(resolve, 2));
      view = await t.app.getExecutionSlots();
    }
    expect(view).toMatchObject({
      enabled: true,
      capacity: 4,
      used: 3,
      usedByTier: { standard: 3 },
      reserved: { health: 1 },
      availableByTier: { health: 1, standard: 0 },
      waitingByTier: { standard: 3 },
      expired: 0,
    });
    if (!view.enabled) throw new Error('enabled');
    expect(view.holders).toEqual([
      expect.objectContaining({ slots: 3, tier: 'standard', yieldRequested: false }),
    ]);
    expect(view.waiting).toEqual([expect.objectContaining({ position: 1, slots: 3, tier: 'standard' })]);
    await Promise.all([first, second]);
  });
});
