import fc from 'fast-check';
import { addToTotals, type TotalsByTier, type TotalsRow } from '../../../../shared/domain/request-totals';
import {
  etaSlipMs,
  schedulerMetricNames,
  schedulerMetrics,
  schedulerStatus,
} from '../../../../shared/domain/scheduler-status';
import type { PoolClaimRecord } from '../../../../shared/domain/scheduling/pool-claims';
import { requestStatuses } from '../../../../shared/domain/status';

const nowMs = Date.parse('2026-12-01T12:00:00Z');
const rowArb: fc.Arbitrary<TotalsRow> = fc.record({
  tier: fc.constantFrom('health', 'standard'),
  status: fc.constantFrom(...requestStatuses),
  kind: fc.constantFrom('provision' as const, 'migrate' as const),
  total: fc.nat(100),
  succeeded: fc.constant(0),
  failed: fc.constant(0),
  createdAt: fc.integer({ min: nowMs - 86_400_000, max: nowMs }).map((ms) => new Date(ms).toISOString()),
});

const claim = (over: Partial<PoolClaimRecord>): PoolClaimRecord & { poolId: string } => ({
  poolId: 'vm',
  requestId: 'r',
  orgId: 'o',
  tier: 'health',
  quantity: 1,
  arrivedAtMs: nowMs - 1000,
  state: 'waiting',
  ...over,
});

describe('scheduler status', () => {
  test('every request is counted once per tier; the oldest wait is the earliest waiting intake', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), (rows) => {
        const totals = rows.reduce<TotalsByTier>(addToTotals, {});
        const status = schedulerStatus(['health', 'standard'], totals, [], nowMs);
        for (const t of status) {
          const mine = rows.filter((r) => r.tier === t.tier);
          const c = t.requests;
          expect(c.waiting + c.running + c.done + c.failed + c.cancelled).toBe(mine.length);
          const waiting = mine.filter((r) =>
            ['received', 'queued', 'deferred', 'scheduled'].includes(r.status),
          );
          expect(c.waiting).toBe(waiting.length);
          const oldest = waiting.map((r) => r.createdAt).sort()[0];
          expect(t.oldestWaitingSince).toBe(oldest ?? null);
          expect(t.oldestWaitSeconds).toBe(oldest ? Math.round((nowMs - Date.parse(oldest)) / 1000) : 0);
        }
        expect(schedulerMetrics(status)).toHaveLength(status.length * schedulerMetricNames.length);
      }),
    );
  });

  test("next ETAs are the tier's soonest; the slip is how much later than told", () => {
    const claims = [
      claim({ requestId: 'a', etaMs: nowMs + 60_000, notifiedEtaMs: nowMs + 30_000, position: 2 }),
      claim({ requestId: 'b', etaMs: nowMs + 10_000, notifiedEtaMs: nowMs + 10_000, position: 1 }),
      claim({ requestId: 'c', tier: 'standard', etaMs: nowMs + 5_000 }),
      claim({ requestId: 'd', state: 'started', etaMs: nowMs }),
    ];
    const [health] = schedulerStatus(['health', 'standard'], {}, claims, nowMs);
    expect(health!.nextEtas.map((e) => e.requestId)).toEqual(['b', 'a']);
    expect(health!.etaSlipSeconds).toBe(30);
    expect(etaSlipMs({ etaMs: null, notifiedEtaMs: nowMs - 5000 }, nowMs)).toBe(5000);
    expect(etaSlipMs({ etaMs: nowMs + 1, notifiedEtaMs: undefined }, nowMs)).toBe(0);
  });
});
