import { InvocationContext } from '@azure/functions';
import * as runtime from '../../../../functions/runtime';
import type * as TierWorkers from '../../../../functions/tier-workers';
import { recordDeadLetter } from '../../../../shared/app/use-cases/work/record-dead-letter';
import { isTriageError } from '../../../../shared/domain/errors';
import { workTopics } from '../../../../shared/domain/topology';
import { topology } from '../../../../shared/topology';
import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { deadLetterEvents, mailboxes, migrateStandard, provision } from '../helpers';

describe('handleDelivery: the one delivery protocol', () => {
  test('the executor path records its own dead-letter: the error is flagged and nothing is recorded twice', async () => {
    const exec = new ScriptedExecutor(() => ({ ok: false, retryable: true, reason: 'timeout' }));
    const t = createTestApp({ executor: exec });
    const { request } = await t.app.submitRequest(provision('o'));
    const message = structuredClone(t.ports.publisher.queue[0]!.message);
    const delivery = t.deliveryOf(message, 10);
    const err = await t.app.handleDelivery(message, delivery).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTriageError(err) && err.retryable && err.deadLetterRecorded).toBe(true);
    expect((err as Error).message).toMatch(/exhausted 10 deliveries/);
    // Even if asked directly, the stored state says there is nothing left to record.
    expect(await recordDeadLetter(t.ctx, message, delivery, 'x')).toBe('ignored');
    expect(deadLetterEvents(t, request.id)).toHaveLength(1);
    expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'failed', deadLettered: true });
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

  test('a missing inventory is transient: redelivered, dead-lettered on the last delivery, replayable by retry', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    const saved = t.ports.artifacts.inventories.get(request.inventory!)!;
    t.ports.artifacts.inventories.delete(request.inventory!);
    const { deadLettered } = await t.drain();
    expect(deadLettered.map((m) => m.message.kind)).toEqual(['migrate']);
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'queued', deadLettered: true });
    expect(view.reason).toMatch(/delivery 10 of 10 .*inventory .* is missing/);
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

      await expect(handle(body, context(9))).rejects.toThrow(/broker refused/);
      expect(await t.app.getRequest(request.id)).toMatchObject({ deadLettered: false });

      // Recording fails once (the requests table is down): logged, and the original error still wins.
      const store = t.ports.requests;
      const update = store.update.bind(store);
      store.update = async () => {
        store.update = update;
        throw new Error('table down');
      };
      await expect(handle(body, context(10))).rejects.toThrow(/broker refused/);
      expect(logged.some((l) => /dead-letter not recorded on the request: table down/.test(l))).toBe(true);

      await expect(handle(body, context(10))).rejects.toThrow(/broker refused/);
      const view = await t.app.getRequest(request.id);
      expect(view).toMatchObject({ deadLettered: true });
      expect(view.reason).toMatch(/broker refused/);
      expect(deadLetterEvents(t, request.id)).toHaveLength(1);
    } finally {
      getApp.mockRestore();
    }
  });
});
