import fc from 'fast-check';
import { dispatch } from '../../../../shared/domain/scheduling/admission';
import type { CapacityClaim } from '../../../../shared/domain/scheduling/capacity-line';
import { poolCapacitySpec, type PoolDefinition } from '../../../../shared/domain/scheduling/pool';
import {
  arrivalShortcut,
  asCapacityClaim,
  asHolding,
  summaryOf,
  type PoolClaimRecord,
} from '../../../../shared/domain/scheduling/pool-claims';
import { arbScenario } from './capacity-arbitraries';

const toRow = (c: CapacityClaim, state: PoolClaimRecord['state']): PoolClaimRecord => ({
  requestId: c.id,
  orgId: c.orgId,
  tier: c.tier,
  quantity: c.quantity,
  arrivedAtMs: c.arrivedAtMs,
  ...(c.holdUntilMs !== undefined ? { holdUntilMs: c.holdUntilMs } : {}),
  state,
});

describe('the ledger shortcut for arrivals', () => {
  test('property: whenever it decides, the full dispatch over the whole line decides the same', () => {
    const counts = { admit: 0, defer: 0, full: 0 };
    fc.assert(
      fc.property(
        arbScenario(),
        fc.record({
          orgId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
          tier: fc.constantFrom('health', 'government', 'remote-work', 'standard'),
          quantity: fc.integer({ min: 1, max: 15 }),
        }),
        (scenario, arriving) => {
          const pool: PoolDefinition = {
            poolId: 'p',
            resourceType: 'vm',
            region: 'r',
            capacity: scenario.spec.capacity,
            reserved: { ...scenario.spec.reserved },
            policy: scenario.spec.policy,
            schedule: [...scenario.spec.schedule],
          };
          // The app keeps a settled line: every decision is a dispatch, so start from one.
          const settled = dispatch({ ...scenario, spec: poolCapacitySpec(pool) });
          const rows = [
            ...settled.holdings.map((h) => toRow(h, h.started ? 'started' : 'admitted')),
            ...settled.waiting.map((w) => toRow(w, 'waiting')),
          ];
          const claim: CapacityClaim = { id: 'arriving', arrivedAtMs: scenario.nowMs, ...arriving };
          const shortcut = arrivalShortcut(
            { pool, summary: summaryOf(rows) },
            scenario.tiers,
            claim,
            scenario.nowMs,
          );
          counts[shortcut]++;
          if (shortcut === 'full') return;
          const full = dispatch({
            spec: poolCapacitySpec(pool),
            tiers: scenario.tiers,
            holdings: rows.filter((r) => r.state !== 'waiting').map(asHolding),
            waiting: [...rows.filter((r) => r.state === 'waiting').map(asCapacityClaim), claim],
            nowMs: scenario.nowMs,
          });
          const admitted = full.admitted.some((c) => c.id === 'arriving');
          expect({
            shortcut,
            admitted,
            preempted: full.preempted.length,
            others: full.admitted.length - Number(admitted),
          }).toEqual({
            shortcut,
            admitted: shortcut === 'admit',
            preempted: 0,
            others: 0,
          });
        },
      ),
      { numRuns: 1000 },
    );
    // The generator must reach every branch, or the property proves little.
    expect(Math.min(counts.admit, counts.defer, counts.full)).toBeGreaterThan(20);
  });

  test('the summary counts what is used, what waits, and what could still be pushed back', () => {
    const base = { orgId: 'o', arrivedAtMs: 0 };
    expect(
      summaryOf([
        { ...base, requestId: 'a', tier: 'health', quantity: 5, state: 'started' },
        { ...base, requestId: 'b', tier: 'health', quantity: 2, state: 'admitted' },
        { ...base, requestId: 'c', tier: 'standard', quantity: 9, state: 'waiting' },
      ]),
    ).toEqual({ usedByTier: { health: 7 }, waitingByTier: { standard: 1 }, admittedNotStarted: 1 });
  });
});
