import { InvocationContext } from '@azure/functions';
import * as runtime from '../../../../functions/runtime';
import type * as TierWorkers from '../../../../functions/tier-workers';
import { recordDeadLetter } from '../../../../shared/app/use-cases/work/record-dead-letter';
import { workTopics } from '../../../../shared/domain/topology';
import { topology } from '../../../../shared/topology';
import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { deadLetterEvents, mailboxes, migrateStandard, provision } from '../helpers';

describe('handleDelivery: the one delivery protocol', () => {
  test('a transient failure completes the message and schedules its successor; the last one is given up', async () => {
    const exec = new ScriptedExecutor(() => ({ ok: false, retryable: true, reason: 'timeout' }));
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    const first = t.ports.publisher.queue.shift()!;
    const result = await t.app.handleDelivery(first.message, t.deliveryOf(first.message, 1, first.messageId));
    expect(result).toBe('retry-scheduled');
    expect(t.ports.publisher.scheduled).toEqual([
      expect.objectContaining({
        messageId: `${request.id}:a2`,
        message: expect.objectContaining({ attempt: 2 }),
      }),
    ]);
    // A chain that has tried for longer than its total time is given up: recorded, completed, not thrown.
    const old = {
      ...first.message,
      attempt: 9,
      firstAttemptAt: new Date(t.clock.now().getTime() - 11 * 60_000).toISOString(),
    };
    await expect(t.app.handleDelivery(old, t.deliveryOf(old, 1, `${request.id}:a9`))).resolves.toBe(
      'gave-up',
    );
    expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'failed', deadLettered: true });
    expect(deadLetterEvents(t, request.id)).toHaveLength(1);
    // Recording it again (a duplicate delivery) adds nothing.
    await t.app.handleDelivery(old, t.deliveryOf(old, 2, `${request.id}:a9`));
    expect(deadLetterEvents(t, request.id)).toHaveLength(1);
    expect(await recordDeadLetter(t.ctx, old, t.deliveryOf(old, 10), 'x')).toBe('ignored');
  });

  test('a corrupt inventory fails the request permanently on its first delivery: completed, not dead-lettered', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    // The stored list is corrupted after intake accepted it (a bad entry, as a damaged blob would read).
    t.ports.artifacts.inventories.set(request.inventory!, [{ address: 'not an address' }]);
    const message = t.ports.publisher.queue.shift()!.message;
    const delivery = t.deliveryOf(message, 1);
    await expect(t.app.handleDelivery(message, delivery)).resolves.toBe('failed');
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'failed', deadLettered: false });
    expect(view.reason).toMatch(/is invalid: line 1/);
    expect(t.ports.publisher.queue).toHaveLength(0);
  });

  test('a missing inventory is transient: backed off, given up (flagged, status kept), replayable by retry', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    const saved = t.ports.artifacts.inventories.get(request.inventory!)!;
    t.ports.artifacts.inventories.delete(request.inventory!);
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(0);
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'queued', deadLettered: true });
    expect(view.reason).toMatch(/given up: transient failures .*inventory .* is missing/);
    t.ports.artifacts.inventories.set(request.inventory!, saved); // the operator restores it
    await t.app.retryRequest(request.id);
    await t.drain();
    expect(await t.app.getRequest(request.id)).toMatchObject({
      status: 'completed',
      progress: { succeeded: 3 },
    });
  });

  test('a batch whose manifest is gone fails that batch permanently and the request finishes', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(15) });
    await t.app.handleDelivery(t.ports.publisher.queue[0]!.message, migrateStandard(1));
    t.ports.publisher.queue.shift();
    t.ports.artifacts.manifests.delete(`${request.id}/batch-0002.ndjson`);
    const { deadLettered } = await t.drain();
    expect(deadLettered).toHaveLength(0);
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({
      status: 'completed-with-errors',
      progress: { total: 15, succeeded: 10, failed: 5, pending: 0 },
    });
    expect(view.batches?.[1]?.lastError).toMatch(/does not exist/);
  });

  test('the tier Function goes through the protocol: records on the last delivery only, rethrows the original error, survives a failed record', async () => {
    const t = createTestApp();
    const getApp = jest.spyOn(runtime, 'getApp').mockResolvedValue(t.app);
    // Loading the Functions registers them; outside a host @azure/functions says so once per Function.
    const quiet = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    let tierHandler: typeof TierWorkers.tierHandler;
    try {
      ({ tierHandler } = jest.requireActual<typeof TierWorkers>('../../../../functions/tier-workers'));
    } finally {
      quiet.mockRestore();
    }
    try {
      const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(5) });
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

      // Service Bus is down: not even the successor can be scheduled, so the message is abandoned.
      t.ports.publisher.fail = true;
      await expect(handle(body, context(9))).rejects.toThrow(/broker down|did not accept/);
      expect(await t.app.getRequest(request.id)).toMatchObject({ deadLettered: false });

      // Recording fails once (the requests table is down): logged, and the original error still wins.
      const store = t.ports.requests;
      const update = store.update.bind(store);
      store.update = async () => {
        store.update = update;
        throw new Error('table down');
      };
      await expect(handle(body, context(10))).rejects.toThrow(/broker/);
      expect(logged.some((l) => /dead-letter not recorded on the request: table down/.test(l))).toBe(true);

      await expect(handle(body, context(10))).rejects.toThrow(/broker/);
      const view = await t.app.getRequest(request.id);
      expect(view).toMatchObject({ deadLettered: true });
      expect(view.reason).toMatch(/broker/);
      expect(deadLetterEvents(t, request.id)).toHaveLength(1);
    } finally {
      getApp.mockRestore();
    }
  });
});
