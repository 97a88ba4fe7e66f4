import fc from 'fast-check';
import { countFinalItems, rollUpBatch } from '../../../shared/domain/batch-rollup';
import type { SkippedMailbox } from '../../../shared/domain/duplicate-work';
import { mailboxKey } from '../../../shared/domain/inventory';
import {
  progressOf,
  type BatchRecord,
  type ItemRecord,
  type RequestRecord,
} from '../../../shared/domain/records';
import {
  allHeldElsewhereRefusal,
  heldElsewhereReason,
  reopensBatch,
  reportedHolderOf,
  selectRetryItems,
} from '../../../shared/domain/retry-claims';
import { keepLostItems, reopenBatch } from '../../../shared/domain/retry-plan';

const at = '2026-01-01T00:00:00.000Z';
const inFlight = ['queued', 'running', 'deferred'] as const;

/**
 * A completed batch's items (succeeded, failed — some with an earlier retry's "migrated by" reason — and
 * `retry` rows a crashed retry left), which of their mailboxes requests in flight hold now, the request's
 * other (completed) batches' counts, and the outcome of each re-queued item when it runs again.
 */
const scenario = fc
  .array(
    fc.record({
      status: fc.constantFrom('succeeded', 'failed', 'failed', 'retry') as fc.Arbitrary<ItemRecord['status']>,
      earlierHolder: fc.option(fc.constantFrom('r-a', 'r-b'), { nil: undefined }),
      holder: fc.option(fc.constantFrom('r-a', 'r-b'), { nil: undefined }),
      holderStatus: fc.constantFrom(...inFlight),
      succeedsNow: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .chain((rows) =>
    fc.record({
      rows: fc.constant(rows),
      otherSucceeded: fc.nat(50),
      otherFailed: fc.nat(50),
    }),
  );

type ScenarioValue = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build({ rows, otherSucceeded, otherFailed }: ScenarioValue) {
  const items: ItemRecord[] = rows.map((r, index) => ({
    index,
    address: `User${index}@Contoso.example`,
    status: r.status,
    attempts: 1,
    at,
    ...(r.status !== 'succeeded'
      ? {
          reason: r.earlierHolder
            ? heldElsewhereReason({ heldBy: r.earlierHolder, heldByStatus: 'running' })
            : 'no',
        }
      : {}),
  }));
  const held = new Map<string, SkippedMailbox>();
  rows.forEach((r, index) => {
    const item = items[index]!;
    if (r.holder && item.status !== 'succeeded') {
      held.set(mailboxKey(item.address), {
        address: item.address.toLowerCase(),
        heldBy: r.holder,
        heldByStatus: r.holderStatus,
      });
    }
  });
  const counted = countFinalItems(items);
  // A `retry` row in a completed batch was counted failed when the batch completed.
  const batchFailed = items.length - counted.succeeded;
  const batch: BatchRecord = {
    requestId: 'r-me',
    batchNumber: 1,
    status: 'completed',
    total: items.length,
    succeeded: counted.succeeded,
    failed: batchFailed,
    manifest: 'm',
  };
  const request: RequestRecord = {
    id: 'r-me',
    kind: 'migrate',
    orgId: 'o',
    tier: 'standard',
    status: 'completed-with-errors',
    createdAt: at,
    updatedAt: at,
    batchCount: 2,
    batchesCompleted: 2,
    total: items.length + otherSucceeded + otherFailed,
    succeeded: counted.succeeded + otherSucceeded,
    failed: batchFailed + otherFailed,
    retryCount: 0,
  };
  return { items, held, batch, request };
}

describe('retry claims: which failed items a retry re-queues', () => {
  test('every failed item is re-queued or kept (never both), none held in flight is re-queued, each kept one is reported at most once and the counts stay exact', () => {
    fc.assert(
      fc.property(scenario, (value) => {
        const { items, held, batch, request } = build(value);
        const selection = selectRetryItems(items, held, at);
        const candidates = items.filter((i) => i.status !== 'succeeded');
        const requeued = new Set(selection.requeue.map((i) => i.index));
        const kept = new Set(selection.keep.map((i) => i.index));
        // A partition of the failed items.
        expect(requeued.size + kept.size).toBe(candidates.length);
        for (const item of candidates) expect(requeued.has(item.index) !== kept.has(item.index)).toBe(true);
        // None held by a request in flight is re-queued; each kept one is held, failed, and names its holder.
        for (const item of selection.requeue) {
          expect(held.has(mailboxKey(item.address))).toBe(false);
          expect(item).toMatchObject({ status: 'retry', at });
        }
        for (const item of selection.keep) {
          const holder = held.get(mailboxKey(item.address))!;
          expect(holder).toBeDefined();
          expect(item.status).toBe('failed');
          expect(reportedHolderOf(item)).toBe(holder.heldBy);
        }
        // Reported: kept items only, once each, unless an earlier retry reported them under the same holder.
        const reportedAddresses = selection.reported.map((s) => s.address);
        expect(new Set(reportedAddresses).size).toBe(reportedAddresses.length);
        for (const item of selection.keep) {
          const before = items[item.index]!;
          const again = reportedHolderOf(before) === held.get(mailboxKey(item.address))!.heldBy;
          expect(reportedAddresses.includes(item.address)).toBe(!again);
        }

        if (!reopensBatch(selection)) {
          // Nothing re-queued: the batch stays completed and every count as it was.
          expect(selection.requeue).toHaveLength(0);
          return;
        }
        const reopened = reopenBatch(batch, request, 1, {
          failed: selection.keep.length,
          reported: selection.reported,
        })!;
        const progress = progressOf(reopened.request);
        expect(progress.total).toBe(
          progress.succeeded + progress.failed + (progress.cancelled ?? 0) + progress.pending,
        );
        expect(progress.pending).toBe(selection.requeue.length);
        expect(progress.failed).toBe(request.failed - selection.requeue.length);
        expect(reopened.request.duplicates?.skipped ?? 0).toBe(selection.reported.length);

        // The re-queued items run; the batch completes and rolls up: nothing counted twice or lost.
        const byIndex = new Map(items.map((i) => [i.index, i]));
        for (const item of [...selection.requeue, ...selection.keep]) byIndex.set(item.index, item);
        let newlyFailed = 0;
        for (const item of selection.requeue) {
          const succeeds = value.rows[item.index]!.succeedsNow;
          if (!succeeds) newlyFailed++;
          byIndex.set(item.index, { ...item, status: succeeds ? 'succeeded' : 'failed' });
        }
        const rolled = rollUpBatch(reopened.batch, reopened.request, {
          ...countFinalItems([...byIndex.values()]),
          functionName: 'f',
        })!;
        expect(rolled.request.succeeded + rolled.request.failed).toBe(rolled.request.total);
        expect(rolled.request.failed).toBe(value.otherFailed + selection.keep.length + newlyFailed);
        // Nothing succeeded at all: failed, as any finished request whose every item failed.
        const expected =
          rolled.request.failed === 0
            ? 'completed'
            : rolled.request.succeeded === 0
              ? 'failed'
              : 'completed-with-errors';
        expect(rolled.request.status).toBe(expected);
      }),
    );
  });

  test('a second retry under the same holders reports nothing again and rewrites nothing', () => {
    fc.assert(
      fc.property(scenario, (value) => {
        const { items, held } = build(value);
        const first = selectRetryItems(items, held, at);
        const after = new Map(items.map((i) => [i.index, i]));
        for (const item of first.rewrite) after.set(item.index, item);
        // The re-queued ones failed again.
        for (const item of first.requeue) after.set(item.index, { ...item, status: 'failed', reason: 'no' });
        const second = selectRetryItems([...after.values()], held, at);
        expect(second.keep.map((i) => i.index)).toEqual(first.keep.map((i) => i.index));
        expect(second.reported).toEqual([]);
        expect(second.rewrite).toEqual([]);
      }),
    );
  });
});

describe('retry claims: examples', () => {
  test('the reason names the holder, and an earlier retry reported it is read back from it', () => {
    const reason = heldElsewhereReason({ heldBy: 'req-42', heldByStatus: 'running' });
    expect(reason).toBe('migrated by request req-42 (running)');
    expect(reportedHolderOf({ reason })).toBe('req-42');
    expect(reportedHolderOf({ reason: 'mailbox not found' })).toBeUndefined();
    expect(reportedHolderOf({})).toBeUndefined();
  });

  test('a batch with nothing to sort (dead-lettered without failed rows) is re-opened as before', () => {
    const selection = selectRetryItems(
      [{ index: 0, address: 'a@x', status: 'succeeded', attempts: 1, at }],
      new Map(),
      at,
    );
    expect(reopensBatch(selection)).toBe(true);
  });

  test('the refusal names the count and the first few with their holders', () => {
    const kept: ItemRecord[] = ['a@x', 'b@x', 'c@x', 'd@x'].map((address, index) => ({
      index,
      address,
      status: 'failed',
      attempts: 1,
      at,
      reason: heldElsewhereReason({ heldBy: 'r-b', heldByStatus: 'running' }),
    }));
    expect(allHeldElsewhereRefusal(kept)).toBe(
      'nothing to retry: each of the 4 failed mailbox(es) is migrated by another request in flight now, e.g. ' +
        'a@x (migrated by request r-b (running)), b@x (migrated by request r-b (running)), ' +
        'c@x (migrated by request r-b (running)); retry once those finish',
    );
  });

  test('re-queued items a request took over before the re-opening, put back: counts exact before and after the roll-up', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (value, pick) => {
        const { items, held, batch, request } = build(value);
        const selection = selectRetryItems(items, held, at);
        fc.pre(reopensBatch(selection) && selection.requeue.length > 0);
        const reopened = reopenBatch(batch, request, 1, { failed: selection.keep.length, reported: [] })!;
        // Some of the re-queued items turn out to be another request's now.
        const lost = selection.requeue.filter((_, i) => (pick >> i) % 2 === 1);
        const reported: SkippedMailbox[] = lost.map((i) => ({
          address: i.address,
          heldBy: 'r-late',
          heldByStatus: 'running',
        }));
        const kept = keepLostItems(reopened.batch, reopened.request, lost.length, reported);
        if (lost.length === 0) {
          expect(kept).toBeNull();
          return;
        }
        const after = kept!;
        const progress = progressOf(after.request);
        expect(progress.total).toBe(
          progress.succeeded + progress.failed + (progress.cancelled ?? 0) + progress.pending,
        );
        expect(progress.pending).toBe(selection.requeue.length - lost.length);
        expect(after.request.duplicates?.skipped ?? 0).toBe(lost.length);
        // Not once the batch's message ran.
        expect(keepLostItems({ ...after.batch, status: 'running' }, after.request, 1, [])).toBeNull();
        // The rest runs and succeeds; the roll-up counts every item once.
        const lostIndexes = new Set(lost.map((i) => i.index));
        const final = items.map((item) =>
          lostIndexes.has(item.index)
            ? { ...item, status: 'failed' as const }
            : selection.requeue.some((r) => r.index === item.index)
              ? { ...item, status: 'succeeded' as const }
              : item.status === 'retry'
                ? { ...item, status: 'failed' as const }
                : item,
        );
        const rolled = rollUpBatch(after.batch, after.request, {
          ...countFinalItems(final),
          functionName: 'f',
        })!;
        expect(rolled.request.succeeded + rolled.request.failed).toBe(rolled.request.total);
      }),
    );
  });
});
