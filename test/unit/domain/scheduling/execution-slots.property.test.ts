import fc from 'fast-check';
import { amountsByIndex, headroomOf, tierTable } from '../../../../shared/domain/scheduling/capacity';
import { unionLine } from '../../../../shared/domain/scheduling/capacity-line';
import {
  decideSlots,
  type SlotChange,
  type SlotDecision,
} from '../../../../shared/domain/scheduling/execution-slots';
import {
  isExpired,
  maxLeaseChangesPerCommit,
  type SlotLease,
  type SlotSpec,
} from '../../../../shared/domain/scheduling/slot-leases';
import type { TierPolicy } from '../../../../shared/domain/scheduling/waiting-line';

const tiers: TierPolicy[] = [
  { name: 'health', rank: 1 },
  { name: 'government', rank: 2 },
  { name: 'remote-work', rank: 3 },
  { name: 'standard', rank: 4 },
];
const table = tierTable(tiers);
const leaseDurationMs = 1_000;
const runs = { numRuns: 300 };

const arbSpec: fc.Arbitrary<SlotSpec> = fc
  .record({
    capacity: fc.integer({ min: 1, max: 40 }),
    reserved: fc.record(
      { health: fc.integer({ min: 0, max: 12 }), government: fc.integer({ min: 0, max: 6 }) },
      { requiredKeys: [] },
    ),
  })
  .map(({ capacity, reserved }) => ({ capacity, reserved }));

type Op =
  | { kind: 'acquire'; tier: number; org: number; slots: number; min: number; key: number }
  | { kind: 'release'; pick: number }
  | { kind: 'renew'; pick: number }
  | { kind: 'yield' }
  | { kind: 'wait'; ms: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      tier: fc.integer({ min: 0, max: 3 }),
      org: fc.integer({ min: 0, max: 3 }),
      slots: fc.integer({ min: 1, max: 10 }),
      min: fc.integer({ min: 1, max: 10 }),
      key: fc.integer({ min: 0, max: 30 }),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('renew' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'yield' as const }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 700 }) }),
    weight: 2,
  },
);

const live = (leases: readonly SlotLease[], nowMs: number) => leases.filter((l) => !isExpired(l, nowMs));
const heldSlots = (leases: readonly SlotLease[]) =>
  leases.filter((l) => l.state === 'held').reduce((sum, l) => sum + l.slots, 0);

/** Checks one decision against the rules, from its input. */
function check(spec: SlotSpec, before: readonly SlotLease[], nowMs: number, d: SlotDecision): void {
  // One commit's worth of changes at most, and the summary matches the live rows.
  expect(d.put.length + d.remove.length).toBeLessThanOrEqual(maxLeaseChangesPerCommit);
  expect(d.leases.every((l) => !isExpired(l, nowMs))).toBe(true);
  const used = new Float64Array(table.count + 1);
  for (const l of d.leases) if (l.state === 'held') used[table.indexOf(l.tier)]! += l.slots;
  expect(Object.values(d.summary.usedByTier).reduce((a, b) => a + b, 0)).toBe(heldSlots(d.leases));

  // Never over capacity (the states are built from empty, so they start within it).
  expect(heldSlots(d.leases)).toBeLessThanOrEqual(spec.capacity);

  const wasHeld = new Set(
    live(before, nowMs)
      .filter((l) => l.state === 'held')
      .map((l) => l.leaseId),
  );
  const granted = d.leases.filter((l) => l.state === 'held' && !wasHeld.has(l.leaseId));
  const reserved = amountsByIndex(table, spec.reserved);
  const asked = new Map(before.map((l) => [l.leaseId, l]));
  for (const g of granted) {
    // Never below the minimum a lease starts with, never above its ask.
    const ask = asked.get(g.leaseId);
    const most = headroomOf(
      table.indexOf(g.tier),
      spec.capacity,
      reserved,
      new Float64Array(table.count + 1),
    );
    if (ask) expect(g.slots).toBeGreaterThanOrEqual(Math.max(1, Math.min(ask.minSlots, most)));
    // Reservations: whatever was granted to a tier left every tier above it its unused reservation.
    expect(headroomOf(table.indexOf(g.tier), spec.capacity, reserved, used)).toBeGreaterThanOrEqual(0);
  }
  // Tier order (strict): every lease granted now was ahead in line of every lease still waiting — the line
  // as the decision sees it, with what was already held in it (organisations take turns by what they hold).
  const waitingAfter = new Set(d.leases.filter((l) => l.state === 'waiting').map((l) => l.leaseId));
  const asEntry = (l: SlotLease) => ({
    id: l.leaseId,
    orgId: l.orgId,
    tier: l.tier,
    arrivedAtMs: l.arrivedAtMs,
    quantity: l.slots,
  });
  const line = unionLine(
    live(before, nowMs)
      .filter((l) => l.state === 'held' && d.leases.some((k) => k.leaseId === l.leaseId))
      .map((l) => ({ ...asEntry(l), started: true })),
    d.leases.filter((l) => waitingAfter.has(l.leaseId) || granted.includes(l)).map(asEntry),
    tiers,
    table,
    nowMs,
  ).filter((e) => !e.holding);
  const firstWaiting = line.findIndex((e) => waitingAfter.has(e.claim.id));
  if (firstWaiting >= 0) {
    expect(line.slice(firstWaiting).some((e) => granted.some((g) => g.leaseId === e.claim.id))).toBe(false);
  }
  // Yields are asked only of holders below a waiting tier, and only while something of a higher tier waits.
  const topWaiting = Math.min(
    ...d.leases.filter((l) => l.state === 'waiting').map((l) => table.indexOf(l.tier)),
  );
  for (const l of d.leases) {
    if (l.state === 'held' && l.yieldRequested) expect(table.indexOf(l.tier)).toBeGreaterThan(topWaiting);
  }
}

/** Runs the operations from an empty partition, deciding each and checking every decision. */
function simulate(spec: SlotSpec, ops: readonly Op[]): void {
  let rows: SlotLease[] = [];
  let nowMs = 1_000_000;
  let seq = 0;
  const apply = (change: SlotChange | undefined) => {
    const before = change?.kind === 'acquire' ? [...rows, change.lease] : rows;
    const d = decideSlots({
      spec,
      tiers,
      leases: rows,
      nowMs,
      leaseDurationMs,
      ...(change ? { change } : {}),
    });
    check(spec, before, nowMs, d);
    const byId = new Map(rows.map((l) => [l.leaseId, l]));
    for (const id of d.remove) byId.delete(id);
    for (const l of d.put) byId.set(l.leaseId, l);
    rows = [...byId.values()];
    return d;
  };
  for (const op of ops) {
    const present = live(rows, nowMs);
    const pick = (n: number) => present[n % Math.max(1, present.length)];
    switch (op.kind) {
      case 'acquire': {
        const leaseId = `w${op.key}`;
        const existing = rows.find((l) => l.leaseId === leaseId && !isExpired(l, nowMs));
        const holder = existing && op.slots % 2 === 0 ? `other${seq++}` : (existing?.holder ?? `h${seq++}`);
        const d = apply({
          kind: 'acquire',
          lease: {
            leaseId,
            requestId: `r${op.key}`,
            orgId: `o${op.org}`,
            tier: tiers[op.tier]!.name,
            arrivedAtMs: nowMs - op.key,
            state: 'waiting',
            slots: op.slots,
            minSlots: Math.min(op.min, op.slots),
            holder,
            expiresAtMs: nowMs + leaseDurationMs,
            yieldRequested: false,
            sinceMs: nowMs,
          },
        });
        // Another delivery of the same work (a holder that crashed is still another delivery) is told `busy`.
        if (existing && existing.holder !== holder) expect(d.outcome).toBe('busy');
        if (d.outcome === 'busy') expect(d.put).toEqual([]);
        break;
      }
      case 'release':
      case 'renew': {
        const l = pick(op.pick);
        if (!l) break;
        apply(
          op.kind === 'release'
            ? { kind: 'release', leaseId: l.leaseId, holder: l.holder }
            : { kind: 'renew', leaseId: l.leaseId, holder: l.holder, expiresAtMs: nowMs + leaseDurationMs },
        );
        break;
      }
      case 'yield': {
        // Every holder asked to yield gives its slots back (what a checkpoint does).
        for (const l of present.filter((p) => p.state === 'held' && p.yieldRequested)) {
          apply({ kind: 'release', leaseId: l.leaseId, holder: l.holder });
        }
        break;
      }
      case 'wait':
        nowMs += op.ms;
        apply(undefined);
        break;
    }
  }
  // However the run went, once every lease has expired all slots are free.
  nowMs += leaseDurationMs + 1;
  const d = apply(undefined);
  expect(d.leases).toEqual([]);
  expect(d.summary.usedByTier).toEqual({});
}

describe('execution slots, by property', () => {
  test('never over the declared slots; reservations, tier order and yields hold at every decision', () => {
    fc.assert(
      fc.property(arbSpec, fc.array(arbOp, { maxLength: 60 }), (spec, ops) => simulate(spec, ops)),
      runs,
    );
  });

  test('an expired lease frees its slots: the next decision drops it and grants them to the line', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(...tiers.map((t) => t.name)),
        (capacity, ask, tier) => {
          const spec = { capacity, reserved: {} };
          const dead: SlotLease = {
            leaseId: 'dead',
            requestId: 'r0',
            orgId: 'o0',
            tier: 'standard',
            arrivedAtMs: 0,
            state: 'held',
            slots: capacity,
            minSlots: 1,
            holder: 'crashed',
            expiresAtMs: 5_000,
            yieldRequested: false,
            sinceMs: 0,
          };
          const lease: SlotLease = {
            ...dead,
            leaseId: 'next',
            holder: 'alive',
            state: 'waiting',
            slots: ask,
            tier,
          };
          const before = decideSlots({
            spec,
            tiers,
            leases: [dead],
            nowMs: 4_999,
            leaseDurationMs,
            change: { kind: 'acquire', lease },
          });
          expect(before.outcome).toBe('waiting');
          const after = decideSlots({
            spec,
            tiers,
            leases: [dead],
            nowMs: 5_000,
            leaseDurationMs,
            change: { kind: 'acquire', lease },
          });
          expect(after.remove).toContain('dead');
          expect(after.outcome).toBe('granted');
          expect(after.own?.slots).toBe(Math.min(ask, capacity));
        },
      ),
      runs,
    );
  });

  test('a decision run again on its own result changes nothing', () => {
    fc.assert(
      fc.property(arbSpec, fc.array(arbOp, { maxLength: 30 }), (spec, ops) => {
        // Build a state by running the ops, then decide twice without a change.
        let rows: SlotLease[] = [];
        const nowMs = 1_000_000;
        ops.forEach((op, i) => {
          if (op.kind !== 'acquire') return;
          const d = decideSlots({
            spec,
            tiers,
            leases: rows,
            nowMs,
            leaseDurationMs,
            change: {
              kind: 'acquire',
              lease: {
                leaseId: `w${i}`,
                requestId: `r${i}`,
                orgId: `o${op.org}`,
                tier: tiers[op.tier]!.name,
                arrivedAtMs: i,
                state: 'waiting',
                slots: op.slots,
                minSlots: 1,
                holder: `h${i}`,
                expiresAtMs: nowMs + leaseDurationMs,
                yieldRequested: false,
                sinceMs: nowMs,
              },
            },
          });
          rows = d.leases;
        });
        const again = decideSlots({ spec, tiers, leases: rows, nowMs, leaseDurationMs });
        expect(again.put).toEqual([]);
        expect(again.remove).toEqual([]);
      }),
      runs,
    );
  });
});
