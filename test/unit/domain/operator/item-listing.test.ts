import fc from 'fast-check';
import { batchItems, batchMayHold } from '../../../../shared/domain/item-listing';
import type { BatchRecord, ItemRecord } from '../../../../shared/domain/records';

const manifestOf = (n: number) => Array.from({ length: n }, (_, i) => ({ address: `u${i}@x.example` }));

/** A batch's manifest and a random subset of its items stored with random outcomes. */
const batchArb = fc.integer({ min: 0, max: 40 }).chain((size) =>
  fc.record({
    size: fc.constant(size),
    rows: fc.uniqueArray(
      fc.record({
        index: fc.integer({ min: 0, max: Math.max(0, size - 1) }),
        status: fc.constantFrom('succeeded' as const, 'failed' as const, 'retry' as const),
        attempts: fc.integer({ min: 1, max: 5 }),
      }),
      { selector: (r) => r.index, maxLength: size },
    ),
    from: fc.integer({ min: 0, max: size }),
  }),
);

const rowsOf = (
  size: number,
  rows: Array<{ index: number; status: ItemRecord['status']; attempts: number }>,
) =>
  size === 0
    ? []
    : rows.map((r): ItemRecord => ({
        ...r,
        address: `u${r.index}@x.example`,
        at: '2026-12-01T00:00:00.000Z',
        ...(r.status === 'succeeded' ? {} : { reason: 'boom' }),
      }));

describe('batchItems', () => {
  test('failed, succeeded and pending partition the manifest from the cursor on, each in manifest order', () => {
    fc.assert(
      fc.property(batchArb, ({ size, rows, from }) => {
        const manifest = manifestOf(size);
        const stored = rowsOf(size, rows);
        const all = batchItems(3, manifest, stored, undefined, from);
        const parts = (['failed', 'succeeded', 'pending'] as const).map((s) =>
          batchItems(3, manifest, stored, s, from),
        );
        expect(all.map((i) => i.index)).toEqual(Array.from({ length: size - from }, (_, k) => from + k));
        const merged = parts.flat().sort((a, b) => a.index - b.index);
        expect(merged).toEqual(all);
        for (const part of parts) {
          expect(part.map((i) => i.index)).toEqual([...part.map((i) => i.index)].sort((a, b) => a - b));
        }
        // Without the manifest, the stored outcomes are the same as with it.
        for (const status of ['failed', 'succeeded'] as const) {
          expect(batchItems(3, null, stored, status, from)).toEqual(
            batchItems(3, manifest, stored, status, from),
          );
        }
      }),
    );
  });

  test('a re-queued failure is pending with its attempts so far; a never-run item has none', () => {
    const rows: ItemRecord[] = [
      { index: 1, address: 'u1@x.example', status: 'retry', attempts: 2, reason: 'timeout', at: 't' },
    ];
    expect(batchItems(1, manifestOf(2), rows, 'pending', 0)).toEqual([
      { batch: 1, index: 0, address: 'u0@x.example', status: 'pending', attempts: 0 },
      { batch: 1, index: 1, address: 'u1@x.example', status: 'pending', attempts: 2, reason: 'timeout' },
    ]);
  });
});

describe('batchMayHold', () => {
  const batch = (over: Partial<BatchRecord>): BatchRecord => ({
    requestId: 'r',
    batchNumber: 1,
    status: 'completed',
    total: 10,
    succeeded: 10,
    failed: 0,
    manifest: 'm',
    ...over,
  });
  test('a completed batch is skipped when its counters say it holds none; an open one never is', () => {
    expect(batchMayHold(batch({}), 'failed')).toBe(false);
    expect(batchMayHold(batch({}), 'pending')).toBe(false);
    expect(batchMayHold(batch({}), 'succeeded')).toBe(true);
    expect(batchMayHold(batch({ succeeded: 7, failed: 3 }), 'failed')).toBe(true);
    expect(batchMayHold(batch({ status: 'running', succeeded: 0 }), 'failed')).toBe(true);
    expect(batchMayHold(batch({ status: 'cancelled', succeeded: 4 }), 'pending')).toBe(true);
  });
});
