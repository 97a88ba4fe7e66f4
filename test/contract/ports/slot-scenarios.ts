import type { ExecutionSlotStore } from '../../../shared/app/ports/execution-slots';
import { isTriageError } from '../../../shared/domain/errors';
import { emptySlotSummary, type SlotLease } from '../../../shared/domain/scheduling/slot-leases';

const lease = (leaseId: string, over: Partial<SlotLease> = {}): SlotLease => ({
  leaseId,
  requestId: leaseId.split(':')[0]!,
  orgId: 'org-1',
  tier: 'standard',
  arrivedAtMs: 1,
  state: 'held',
  slots: 4,
  minSlots: 2,
  holder: 'h1',
  expiresAtMs: 2_000,
  yieldRequested: false,
  sinceMs: 1_000,
  ...over,
});
const withoutEtag = <T extends { etag?: string }>({ etag: _etag, ...rest }: T) => rest;

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isTriageError(err) ? err.code : err === undefined ? undefined : `not a TriageError: ${String(err)}`;
}

/** The slot store's contract (one partition per store: the scenario runs as one test). */
export function slotStoreContract(name: string, store: () => ExecutionSlotStore): void {
  test(`${name}: ExecutionSlotStore creates the ledger once, commits leases with it atomically, ETag-checked`, async () => {
    const slots = store();
    expect(await slots.getLedger()).toBeNull();
    expect(await slots.listLeases()).toEqual([]);
    const spec = { capacity: 8, reserved: { health: 2 } };
    const created = await slots.commit(
      { spec, summary: emptySlotSummary(), version: 1 },
      { put: [lease('a:batch-0001'), lease('b:provision', { state: 'waiting', yieldRequested: true })] },
    );
    // A second creation (another instance racing) is a concurrency error: it reads again.
    expect(await codeOf(slots.commit({ spec, summary: emptySlotSummary(), version: 1 }, {}))).toBe(
      'concurrency',
    );
    expect(withoutEtag((await slots.getLedger())!)).toEqual({
      spec,
      summary: emptySlotSummary(),
      version: 1,
    });
    expect(withoutEtag((await slots.getLease('b:provision'))!)).toEqual(
      lease('b:provision', { state: 'waiting', yieldRequested: true }),
    );
    expect(await slots.getLease('none')).toBeNull();

    const next = await slots.commit({ ...created, version: 2 }, { remove: ['a:batch-0001'] });
    // A stale ledger writes nothing, neither the ledger nor its leases.
    expect(await codeOf(slots.commit({ ...created, version: 3 }, { put: [lease('c:batch-0002')] }))).toBe(
      'concurrency',
    );
    expect((await slots.listLeases()).map((l) => l.leaseId)).toEqual(['b:provision']);
    // Removing a lease that is already gone fails the whole commit.
    expect(await codeOf(slots.commit({ ...next, version: 3 }, { remove: ['a:batch-0001'] }))).toBe(
      'concurrency',
    );
    expect((await slots.getLedger())?.version).toBe(2);
    await expect(
      slots.commit(next, { put: Array.from({ length: 100 }, (_, i) => lease(`x${i}:provision`)) }),
    ).rejects.toThrow(RangeError);
  });
}
