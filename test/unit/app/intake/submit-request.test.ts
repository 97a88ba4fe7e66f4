import { createTestApp } from '../../../support/in-memory-ports';
import { expectTriage, provision } from '../helpers';

describe('submitRequest', () => {
  test('submit → publish → tier worker → executor → completed, at the registry tier', async () => {
    const t = createTestApp();
    await t.app.upsertOrg('nhs', { name: 'NHS Trust', sector: 'health', tier: 'health', evidence: 'test' });
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
});

describe('idempotency race (item 10)', () => {
  test('100 concurrent submissions with one key: one request, all answered with it, history written once', async () => {
    const t = createTestApp();
    // The first claimant's write is the slowest, as on a busy table: the others see the key claimed but
    // no request yet, which is where main answered one caller 409 and wrote the history twice.
    const create = t.ports.requests.create.bind(t.ports.requests);
    let first = true;
    t.ports.requests.create = async (record) => {
      if (first) {
        first = false;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return create(record);
    };
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => t.app.submitRequest(provision('o'), { idempotencyKey: 'same-key' })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const ids = new Set(results.map((r) => (r.status === 'fulfilled' ? r.value.request.id : '')));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const statuses = t.ports.events.events.filter((e) => e.requestId === id).map((e) => e.status);
    expect(statuses.sort()).toEqual(['queued', 'received']);
    expect(t.ports.requests.requests.size).toBe(1);
  });
});
