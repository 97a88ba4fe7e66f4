import { decideSlots } from '../../../../shared/domain/scheduling/execution-slots';
import {
  emptySlotSummary,
  summaryOfLeases,
  type SlotLease,
} from '../../../../shared/domain/scheduling/slot-leases';
import type { TierPolicy } from '../../../../shared/domain/scheduling/waiting-line';

const tiers: TierPolicy[] = [
  { name: 'health', rank: 1 },
  { name: 'government', rank: 2 },
  { name: 'remote-work', rank: 3 },
  { name: 'standard', rank: 4 },
];
const nowMs = 100_000;
const leaseDurationMs = 30_000;

function lease(leaseId: string, over: Partial<SlotLease> = {}): SlotLease {
  return {
    leaseId,
    requestId: leaseId.split(':')[0]!,
    orgId: 'org',
    tier: 'standard',
    arrivedAtMs: 0,
    state: 'waiting',
    slots: 16,
    minSlots: 1,
    holder: `holder-of-${leaseId}`,
    expiresAtMs: nowMs + leaseDurationMs,
    yieldRequested: false,
    sinceMs: 0,
    ...over,
  };
}

const decide = (
  capacity: number,
  reserved: Record<string, number>,
  leases: SlotLease[],
  change?: Parameters<typeof decideSlots>[0]['change'],
) =>
  decideSlots({
    spec: { capacity, reserved },
    tiers,
    leases,
    nowMs,
    leaseDurationMs,
    ...(change ? { change } : {}),
  });

describe('decideSlots', () => {
  test('a lease that fits is granted its whole ask, for one lease duration', () => {
    const d = decide(64, {}, [], { kind: 'acquire', lease: lease('a:batch-0001') });
    expect(d.outcome).toBe('granted');
    expect(d.own).toMatchObject({
      state: 'held',
      slots: 16,
      expiresAtMs: nowMs + leaseDurationMs,
      sinceMs: nowMs,
    });
    expect(d.summary.usedByTier).toEqual({ standard: 16 });
  });

  test("tier 4 cannot take health's reservation; health takes it at once", () => {
    const flood = [1, 2, 3].map((n) => lease(`f:batch-000${n}`, { state: 'held', slots: 16 }));
    const more = decide(64, { health: 16 }, flood, { kind: 'acquire', lease: lease('f:batch-0004') });
    expect(more.outcome).toBe('waiting');
    expect(more.position).toBe(1);
    const health = decide(64, { health: 16 }, flood, {
      kind: 'acquire',
      lease: lease('h:batch-0001', { tier: 'health', arrivedAtMs: 50 }),
    });
    expect(health.outcome).toBe('granted');
    expect(health.summary.usedByTier).toEqual({ standard: 48, health: 16 });
  });

  test('a higher tier short of slots waits for lower-tier holders to yield, latest granted first and just enough', () => {
    const flood = [1, 2, 3, 4].map((n) => lease(`f:batch-000${n}`, { state: 'held', slots: 16, sinceMs: n }));
    const d = decide(64, {}, flood, {
      kind: 'acquire',
      lease: lease('g:batch-0001', { tier: 'government', slots: 10, minSlots: 5 }),
    });
    expect(d.outcome).toBe('waiting');
    expect(d.leases.filter((l) => l.yieldRequested).map((l) => l.leaseId)).toEqual(['f:batch-0004']);
    // The yielding holder gives its slots back: the release grants them to the waiting government lease.
    const after = decide(64, {}, d.leases, {
      kind: 'release',
      leaseId: 'f:batch-0004',
      holder: 'holder-of-f:batch-0004',
    });
    expect(after.leases.find((l) => l.leaseId === 'g:batch-0001')).toMatchObject({
      state: 'held',
      slots: 10,
    });
    // Its reason gone, no one is asked to yield any more.
    expect(after.leases.some((l) => l.yieldRequested)).toBe(false);
  });

  test('a lease starts with the slots there are when they reach its minimum, asking no one to yield', () => {
    const held = [lease('a:batch-0001', { state: 'held', slots: 60 })];
    const d = decide(64, {}, held, {
      kind: 'acquire',
      lease: lease('b:batch-0001', { tier: 'health', minSlots: 4 }),
    });
    expect(d.own).toMatchObject({ state: 'held', slots: 4 });
    expect(d.leases.find((l) => l.leaseId === 'a:batch-0001')?.yieldRequested).toBe(false);
  });

  test('a lease waits rather than start below its minimum', () => {
    const held = [lease('a:batch-0001', { state: 'held', slots: 58 })];
    const d = decide(64, {}, held, { kind: 'acquire', lease: lease('b:batch-0001', { minSlots: 8 }) });
    expect(d.outcome).toBe('waiting');
    const more = decide(64, {}, [{ ...held[0]!, slots: 56 }], {
      kind: 'acquire',
      lease: lease('b:batch-0001', { minSlots: 8 }),
    });
    expect(more.own).toMatchObject({ state: 'held', slots: 8 });
  });

  test('the head of the line blocks those behind it (strict), even one that would fit', () => {
    const held = [
      lease('a:batch-0001', { state: 'held', slots: 56, tier: 'health' }),
      lease('s:batch-0001', { state: 'held', slots: 4 }),
    ];
    // Government cannot start below 8: it waits for the standard holder's 4; the 4 free slots stay its own.
    const waiting = [lease('b:batch-0001', { tier: 'government', slots: 8, minSlots: 8, arrivedAtMs: 1 })];
    const d = decide(64, {}, [...held, ...waiting], {
      kind: 'acquire',
      lease: lease('c:provision', { tier: 'remote-work', slots: 1, arrivedAtMs: 2 }),
    });
    expect(d.outcome).toBe('waiting');
    expect(d.position).toBe(2);
    expect(d.leases.find((l) => l.leaseId === 's:batch-0001')?.yieldRequested).toBe(true);
  });

  test('another delivery of the same work is told busy until the lease is gone or expired', () => {
    const held = [lease('a:batch-0001', { state: 'held' })];
    const intruder = lease('a:batch-0001', { holder: 'second-delivery' });
    expect(decide(64, {}, held, { kind: 'acquire', lease: intruder }).outcome).toBe('busy');
    const expired = [lease('a:batch-0001', { state: 'held', expiresAtMs: nowMs })];
    expect(decide(64, {}, expired, { kind: 'acquire', lease: intruder }).outcome).toBe('granted');
  });

  test('renewing extends a held lease; a lease that expired meanwhile is lost', () => {
    const held = [lease('a:batch-0001', { state: 'held', expiresAtMs: nowMs + 10 })];
    const renewed = decide(64, {}, held, {
      kind: 'renew',
      leaseId: 'a:batch-0001',
      holder: 'holder-of-a:batch-0001',
      expiresAtMs: nowMs + leaseDurationMs,
    });
    expect(renewed.outcome).toBe('renewed');
    expect(renewed.own?.expiresAtMs).toBe(nowMs + leaseDurationMs);
    const gone = decide(64, {}, [{ ...held[0]!, expiresAtMs: nowMs }], {
      kind: 'renew',
      leaseId: 'a:batch-0001',
      holder: 'holder-of-a:batch-0001',
      expiresAtMs: nowMs + leaseDurationMs,
    });
    expect(gone.outcome).toBe('lost');
    expect(gone.remove).toEqual(['a:batch-0001']);
  });
});

test('the ledger summary counts live leases and the earliest expiry, expired ones included', () => {
  const a = lease('a:batch-0001', { state: 'held', slots: 5, expiresAtMs: nowMs - 1 });
  const b = lease('b:batch-0001', { state: 'held', slots: 7, tier: 'health' });
  const c = lease('c:provision', { slots: 1 });
  expect(summaryOfLeases([a, b, c], nowMs)).toEqual({
    usedByTier: { health: 7 },
    waitingByTier: { standard: 1 },
    nextExpiryMs: nowMs - 1,
  });
  expect(summaryOfLeases([], nowMs)).toEqual(emptySlotSummary());
});
