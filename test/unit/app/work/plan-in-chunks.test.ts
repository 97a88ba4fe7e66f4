import fc from 'fast-check';
import { nextChunkBatches, planningChunkTargetMs } from '../../../../shared/domain/request-lifecycle';
import { createTestApp } from '../../../support/in-memory-ports';
import { mailboxes } from '../helpers';

describe('planning in chunks (item 9)', () => {
  test('one chunk per message: the request runs from the first chunk and shows its planning progress', async () => {
    const t = createTestApp(); // batches of 10, 3 batches a chunk
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(95) });
    const reads = jest.spyOn(t.ports.artifacts, 'readInventoryChunk');
    const first = t.ports.publisher.queue.shift()!;
    expect(await t.app.handleDelivery(first.message, t.deliveryOf(first.message, 1, first.messageId))).toBe(
      'planning',
    );
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'running', planning: { batchesPlanned: 3, mailboxesPlanned: 30 } });
    expect(view.batchCount).toBeUndefined();
    // Its three batches are out, and a continuation whose id names where it starts.
    expect(t.ports.publisher.queue.map((m) => m.messageId)).toEqual([
      `${request.id}:batch:0001`,
      `${request.id}:batch:0002`,
      `${request.id}:batch:0003`,
      `${request.id}:plan:30`,
    ]);
    // The first message delivered again (its lock lost after the chunk was recorded) plans the next chunk,
    // not the same one again: every chunk is recorded once, whichever message carries it.
    const again = await t.app.handleDelivery(first.message, t.deliveryOf(first.message, 2, first.messageId));
    expect(again).toBe('planning');
    expect(await t.app.getRequest(request.id)).toMatchObject({
      planning: { batchesPlanned: 6, mailboxesPlanned: 60 },
    });
    await t.drain();
    const done = await t.app.getRequest(request.id);
    expect(done).toMatchObject({
      status: 'completed',
      batchCount: 10,
      batchesCompleted: 10,
      progress: { total: 95, succeeded: 95, failed: 0, pending: 0 },
    });
    expect(done.planning).toBeUndefined();
    // Never more than one chunk (30 mailboxes) asked for at once; each batch planned and run once.
    expect(reads.mock.calls.every(([, , max]) => max === 30)).toBe(true);
    expect(t.ports.requests.batches.size).toBe(10);
    const batchIds = t.ports.publisher.sent
      .filter((m) => m.message.kind === 'migrate-batch')
      .map((m) => m.messageId);
    expect(new Set(batchIds).size).toBe(10);
  });
});

describe('nextChunkBatches', () => {
  test('property: the next chunk is between 1 and the maximum, smaller after a slow one, never smaller after a fast one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.nat(200_000),
        fc.integer({ min: 1, max: 400 }),
        (last, ms, max) => {
          const next = nextChunkBatches(last, ms, max);
          if (next < 1 || next > Math.max(max, 1)) return false;
          if (ms > 2 * planningChunkTargetMs) return next <= Math.max(1, last);
          if (ms < planningChunkTargetMs / 2) return next >= Math.min(max, last);
          return true;
        },
      ),
    );
  });
});
