import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { provision } from '../helpers';

describe('processProvision and processWork', () => {
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

  test('transient failures back off until the total time, then are given up: visible, and retry completes it', async () => {
    let broken = true;
    const exec = new ScriptedExecutor(() =>
      broken ? { ok: false, retryable: true, reason: 'timeout' } : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    const started = t.clock.now().getTime();
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(0);
    // The chain kept trying for (almost) its 10 minutes, then stopped.
    expect(t.clock.now().getTime() - started).toBeGreaterThan(8 * 60_000);
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'failed', deadLettered: true });
    expect(view.reason).toMatch(/transient failures for \d+ s \(\d+ attempt\(s\)\): transient: timeout/);
    expect(view.history?.filter((h) => h.type === 'dead-letter')).toHaveLength(1);
    broken = false;
    await t.app.retryRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      deadLettered: false,
      retryCount: 1,
    });
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
});
