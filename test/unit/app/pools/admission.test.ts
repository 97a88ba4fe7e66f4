import { createTestApp, ScriptedExecutor, type MemoryPublisher } from '../../../support/in-memory-ports';
import { expectTriage } from '../helpers';

type T = ReturnType<typeof createTestApp>;
const vm = (orgId: string, quantity: number, extra: Record<string, unknown> = {}) => ({
  kind: 'provision',
  orgId,
  resource: { type: 'vm', quantity, region: 'uksouth' },
  ...extra,
});

async function registerTiers(t: T): Promise<void> {
  for (const [orgId, tier] of [
    ['hospital', 'health'],
    ['ministry', 'government'],
    ['callcentre', 'remote-work'],
  ] as const) {
    await t.app.upsertOrg(orgId, { name: orgId, sector: tier, tier, evidence: 'test' });
  }
}

/** A clock the test moves, so arrival order is the order of submission. */
function clocked(t: T, startMs = Date.parse('2026-12-01T09:00:00Z')) {
  let now = startMs;
  t.ctx.clock = () => new Date(now);
  return {
    advance: (ms: number) => (now += ms),
    nowMs: () => now,
  };
}

const statusOf = async (t: T, id: string) => (await t.app.getRequest(id)).status;
const notificationsOf = (t: T, type: string) =>
  (t.ports.publisher as MemoryPublisher).notifications.filter((n) => n.type === type);

describe('capacity pools and admission in tier order', () => {
  test('undeclared resources stay unlimited; a declared pool admits what fits and defers the rest with position, ETA and reason', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    const free = await t.app.submitRequest({
      ...vm('o', 5),
      resource: { type: 'seat', quantity: 5, region: 'uksouth' },
    });
    await t.drain();
    expect(await statusOf(t, free.request.id)).toBe('completed');

    expect(
      (await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 10 })).created,
    ).toBe(true);
    const first = await t.app.submitRequest(vm('a', 6));
    clock.advance(1000);
    const second = await t.app.submitRequest(vm('b', 6));
    await t.drain();
    await t.app.flushNotifications();
    expect(await statusOf(t, first.request.id)).toBe('completed');
    const waiting = await t.app.getRequest(second.request.id);
    expect(waiting).toMatchObject({ status: 'deferred', poolId: 'vm-uk' });
    expect(waiting.queue).toMatchObject({ poolId: 'vm-uk', position: 1, eta: null, aheadByTier: {} });
    expect(waiting.queue?.reason).toMatch(/no capacity is expected to free up.*vm@uksouth/);
    const deferred = notificationsOf(t, 'request.deferred');
    expect(deferred).toEqual([
      expect.objectContaining({ requestId: second.request.id, position: 1, eta: null }),
    ]);
    expect(await t.app.getPool('vm-uk')).toMatchObject({
      capacity: 10,
      used: 6,
      waitingByTier: { standard: 1 },
    });

    // The first gives its capacity back: the second is admitted, runs, and the requester hears it.
    await t.app.releaseRequest(first.request.id);
    await expectTriage(t.app.releaseRequest(first.request.id), 'invalid-transition');
    await t.drain();
    await t.app.flushNotifications();
    expect(await statusOf(t, second.request.id)).toBe('completed');
    expect(notificationsOf(t, 'request.admitted').map((n) => n.requestId)).toEqual([second.request.id]);
    expect(await t.app.getPool('vm-uk')).toMatchObject({ used: 6, waitingByTier: { standard: 0 } });
  });

  test('the crisis: a standard flood first, then health is admitted ahead of everyone, preempting work that has not started', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    await registerTiers(t);
    await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 10 });
    const flood = [];
    for (let i = 0; i < 5; i++) {
      flood.push((await t.app.submitRequest(vm(`shop${i}`, 2))).request.id);
      clock.advance(10);
    }
    // The flood takes all ten, and runs: started work is never preempted.
    await t.drain();
    expect(await Promise.all(flood.map((id) => statusOf(t, id)))).toEqual(Array(5).fill('completed'));
    const later = [];
    for (const orgId of ['shop9', 'callcentre', 'ministry']) {
      later.push((await t.app.submitRequest(vm(orgId, 4))).request.id);
      clock.advance(10);
    }
    const health = (await t.app.submitRequest(vm('hospital', 4))).request.id;
    await t.drain();
    await t.app.flushNotifications();
    const queue = await t.app.getPoolQueue('vm-uk', {});
    expect(queue.items.map((i) => i.tier)).toEqual(['health', 'government', 'remote-work', 'standard']);

    // Two releases free four: health first, although it arrived last.
    await t.app.releaseRequest(flood[0]!);
    await t.app.releaseRequest(flood[1]!);
    await t.drain();
    expect(await statusOf(t, health)).toBe('completed');
    expect(await Promise.all(later.map((id) => statusOf(t, id)))).toEqual([
      'deferred',
      'deferred',
      'deferred',
    ]);

    // Capacity added later by schedule admits the rest strictly in tier order.
    await t.app.putPool('vm-uk', {
      resourceType: 'vm',
      region: 'uksouth',
      capacity: 10,
      schedule: [{ at: new Date(clock.nowMs() + 60_000).toISOString(), capacity: 18 }],
    });
    const raiseAt = new Date(clock.nowMs() + 60_000).toISOString();
    // The forecast was just recomputed (its cooldown holds): the next tick of the pools' timer refreshes it.
    clock.advance(1000);
    await t.app.tickPools();
    await t.app.flushNotifications();
    const etas = (await t.app.getPoolQueue('vm-uk', {})).items;
    expect(etas.map((i) => [i.tier, i.eta])).toEqual([
      ['government', raiseAt],
      ['remote-work', raiseAt],
      ['standard', null],
    ]);
    clock.advance(59_000);
    await t.app.tickPools();
    await t.drain();
    expect(await Promise.all(later.map((id) => statusOf(t, id)))).toEqual([
      'deferred',
      'completed',
      'completed',
    ]);
    const admittedOrder = (t.ports.publisher as MemoryPublisher).notifications
      .filter((n) => n.type === 'request.admitted')
      .map((n) => n.tier);
    expect(admittedOrder).toEqual(['health', 'government', 'remote-work']);
    // Government and remote work were told their ETA (the raise) once it was known: by their deferral notice if
    // that came after the raise was scheduled, or by an ETA change otherwise.
    for (const tier of ['government', 'remote-work']) {
      const told = (t.ports.publisher as MemoryPublisher).notifications.filter(
        (n) => n.tier === tier && (n.type === 'request.deferred' || n.type === 'request.eta-changed'),
      );
      expect(told.at(-1)?.eta).toBe(raiseAt);
    }
  });

  test('preemption: admitted-but-not-started lower-tier work is pushed back (keeping its place) for health', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    await registerTiers(t);
    await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 4 });
    const holder = (await t.app.submitRequest(vm('shop', 4))).request.id;
    clock.advance(10);
    const standard = (await t.app.submitRequest(vm('shop2', 4))).request.id;
    await t.drain();
    // The release admits the waiting standard claim; before its message runs, health arrives.
    await t.app.releaseRequest(holder);
    const readmit = t.ports.publisher.queue.splice(0); // the admission message, held back
    clock.advance(10);
    const health = (await t.app.submitRequest(vm('hospital', 4))).request.id;
    await t.drain();
    expect(await statusOf(t, health)).toBe('completed');
    t.ports.publisher.queue.push(...readmit);
    await t.drain(); // the late admission message finds its claim pushed back: nothing runs
    await t.app.flushNotifications();
    expect(await statusOf(t, standard)).toBe('deferred');
    expect(notificationsOf(t, 'request.preempted').map((n) => n.requestId)).toEqual([standard]);
    const executed = [...(t.ports.executor as ScriptedExecutor).calls.keys()].filter((k) =>
      k.startsWith(standard),
    );
    expect(executed).toEqual([]);
    expect((await t.app.getPoolQueue('vm-uk', {})).items.map((i) => i.requestId)).toEqual([standard]);
  });

  test('a failed or cancelled provisioning gives its capacity back; a cancelled waiting claim leaves the line', async () => {
    const t = createTestApp();
    await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 4 });
    const a = (await t.app.submitRequest(vm('a', 4))).request.id;
    const b = (await t.app.submitRequest(vm('b', 4))).request.id;
    await t.drain();
    await t.app.cancelRequest(b);
    expect(await t.app.getPool('vm-uk')).toMatchObject({ waitingByTier: { standard: 0 } });
    await t.app.releaseRequest(a);
    expect(await t.app.getPool('vm-uk')).toMatchObject({ used: 0 });

    const refusing = createTestApp({
      executor: new ScriptedExecutor(() => ({ ok: false, retryable: false, reason: 'quota exceeded' })),
    });
    await refusing.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 4 });
    const failed = (await refusing.app.submitRequest(vm('a', 4))).request.id;
    await refusing.drain();
    expect(await statusOf(refusing, failed)).toBe('failed');
    expect(await refusing.app.getPool('vm-uk')).toMatchObject({ used: 0, availableByTier: { standard: 4 } });
  });

  test("a tier change re-ranks the organisation's waiting claims at once", async () => {
    const t = createTestApp();
    const clock = clocked(t);
    await t.app.putPool('vm-uk', { resourceType: 'vm', region: 'uksouth', capacity: 4 });
    const holder = (await t.app.submitRequest(vm('shop', 4))).request.id;
    clock.advance(10);
    const first = (await t.app.submitRequest(vm('early', 4))).request.id;
    clock.advance(10);
    const upgraded = (await t.app.submitRequest(vm('field-hospital', 4))).request.id;
    await t.drain();
    expect((await t.app.getPoolQueue('vm-uk', {})).items.map((i) => i.requestId)).toEqual([first, upgraded]);
    await t.app.upsertOrg('field-hospital', {
      name: 'Field hospital',
      sector: 'health',
      tier: 'health',
      evidence: 'order 7',
    });
    expect((await t.app.getPoolQueue('vm-uk', {})).items.map((i) => [i.requestId, i.tier])).toEqual([
      [upgraded, 'health'],
      [first, 'standard'],
    ]);
    await t.app.releaseRequest(holder);
    await t.drain();
    expect(await t.app.getRequest(upgraded)).toMatchObject({
      status: 'completed',
      tier: 'health',
      processedBy: 'provision-health',
    });
    expect(await statusOf(t, first)).toBe('deferred');
  });

  test('bad input: each problem names its field and nothing is stored', async () => {
    const t = createTestApp();
    const bad = async (body: unknown, field: string) => {
      const err = await t.app.putPool('p1', body).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: 'validation',
        fields: expect.arrayContaining([expect.objectContaining({ field })]),
      });
    };
    const base = { resourceType: 'vm', region: 'uksouth', capacity: 10 };
    await bad({ ...base, capacity: -1 }, 'capacity');
    await bad({ ...base, capacity: 1e12 }, 'capacity');
    await bad({ ...base, reserved: { health: 11 } }, 'reserved');
    await bad({ ...base, reserved: { platinum: 1 } }, 'reserved.platinum');
    await bad({ ...base, schedule: [{ at: 'tomorrow', capacity: 5 }] }, 'schedule.0.at');
    await bad({ ...base, policy: 'greedy' }, 'policy');
    await expectTriage(t.app.putPool('bad id!', base), 'validation');
    expect(await t.app.listPools()).toEqual({ items: [] });
    await t.app.putPool('p1', base);
    await expectTriage(t.app.putPool('p2', base), 'conflict');
    await expectTriage(t.app.putPool('p1', { ...base, region: 'ukwest' }), 'conflict');
    await expectTriage(t.app.getPool('nope'), 'not-found');
    await expectTriage(t.app.getPoolQueue('p1', { limit: '500' }), 'validation');
    const provision = await t.app.submitRequest(
      vm('o', 1, { resource: { type: 'seat', quantity: 1, region: 'x' } }),
    );
    await t.drain();
    await expectTriage(t.app.releaseRequest(provision.request.id), 'invalid-transition');
  });
});
