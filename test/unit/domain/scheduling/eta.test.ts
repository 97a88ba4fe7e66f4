import fc from 'fast-check';
import type { CapacitySpec } from '../../../../shared/domain/scheduling/capacity';
import type { CapacityClaim, CapacityHolding } from '../../../../shared/domain/scheduling/capacity-line';
import { forecastQueue, nextPromotionAt, simulateQueue } from '../../../../shared/domain/scheduling/eta';
import { describeAhead, formatCount } from '../../../../shared/domain/scheduling/wait-reason';
import { arbScenario, plainTiers } from './capacity-arbitraries';

const spec = (over: Partial<CapacitySpec> = {}): CapacitySpec => ({
  label: 'pool vm@uksouth',
  capacity: 10_000,
  reserved: {},
  policy: 'strict',
  schedule: [],
  ...over,
});
const claim = (
  id: string,
  tier: string,
  arrivedAtMs: number,
  quantity: number,
  holdUntilMs?: number,
): CapacityClaim => ({
  id,
  orgId: id,
  tier,
  arrivedAtMs,
  quantity,
  ...(holdUntilMs === undefined ? {} : { holdUntilMs }),
});
const held = (id: string, tier: string, quantity: number, holdUntilMs?: number): CapacityHolding => ({
  ...claim(id, tier, 0, quantity, holdUntilMs),
  started: true,
});

describe('queue forecast', () => {
  test('numbers get thousands separators whatever the locale', () => {
    expect([0, 999, 1000, 9800, 10_000, 1_234_567, -4321, 12345.5].map(formatCount)).toEqual([
      '0',
      '999',
      '1,000',
      '9,800',
      '10,000',
      '1,234,567',
      '-4,321',
      '12,345.5',
    ]);
    expect(describeAhead([{ tier: 'health', count: 1 }])).toBe('1 health request ahead');
    expect(
      describeAhead([
        { tier: 'health', count: 3 },
        { tier: 'government', count: 0 },
        { tier: 'standard', count: 1200 },
      ]),
    ).toBe('3 health and 1,200 standard requests ahead');
  });

  test('positions, who is ahead, ETAs from releases and the schedule, reasons in words', () => {
    const forecast = simulateQueue({
      spec: spec({ schedule: [{ atMs: 5000, capacity: 10_700 }] }),
      tiers: plainTiers,
      holdings: [held('a', 'standard', 9000), held('b', 'standard', 800, 3000)],
      // 200 free now; 800 more at 3000 (b back) — not enough for h2 —, 700 more at 5000 (the raise).
      waiting: [
        claim('h1', 'health', 1, 200),
        claim('h2', 'health', 2, 900),
        claim('h3', 'health', 3, 200),
        claim('h4', 'health', 4, 300),
        claim('g1', 'government', 5, 400),
        claim('s1', 'standard', 6, 1),
      ],
      nowMs: 1000,
    });
    expect(forecast.entries.map((e) => [e.position, e.claim.id, e.etaMs])).toEqual([
      [1, 'h1', 1000],
      [2, 'h2', 5000],
      [3, 'h3', 5000],
      [4, 'h4', 5000],
      [5, 'g1', null],
      [6, 's1', null],
    ]);
    expect(forecast.entries[3]!.aheadByTier).toEqual({ health: 3 });
    expect(forecast.entries[3]!.reason).toBe(
      'pool vm@uksouth is full: 9,800 of 10,000 used; 3 health requests ahead',
    );
    expect(forecast.entries[4]!.reason).toBe(
      'no capacity is expected to free up: no known release or capacity change makes room for it; pool vm@uksouth is full: 9,800 of 10,000 used; 4 health requests ahead',
    );
    expect(forecast.entries[5]!.reason).toMatch(
      /^no capacity is expected to free up for a request ahead of it/,
    );
    expect(forecast.computedAtMs).toBe(1000);
  });

  test('reasons name the reservations that hold a tier back, and claims larger than the pool will be', () => {
    const forecast = simulateQueue({
      spec: spec({
        capacity: 100,
        reserved: { health: 20, government: 10 },
        schedule: [{ atMs: 9000, capacity: 120 }],
      }),
      tiers: plainTiers,
      holdings: [held('a', 'standard', 60)],
      waiting: [claim('s1', 'standard', 1, 15), claim('s2', 'standard', 2, 500)],
      nowMs: 1000,
    });
    expect(forecast.entries[0]!.reason).toBe(
      'pool vm@uksouth is full for standard: 60 of 100 used, the rest reserved (20 for health and 10 for government); first in line',
    );
    expect(forecast.entries[0]!.etaMs).toBe(9000);
    expect(forecast.entries[1]!.reason).toMatch(
      /^no capacity is expected to free up: it asks for 500, more than pool vm@uksouth will have \(at most 120\)/,
    );
  });

  test('expected releases: a started claim gives back at its holdUntil when that is after its start', () => {
    const forecast = simulateQueue({
      spec: spec({ capacity: 10 }),
      tiers: plainTiers,
      holdings: [held('a', 'standard', 10, 2000)],
      waiting: [
        claim('w1', 'health', 1, 10, 2500),
        claim('w2', 'health', 2, 10, 2200),
        claim('w3', 'health', 3, 10),
      ],
      nowMs: 1000,
    });
    // w2 would start at 2500, after its holdUntil (2200): overdue work is not guessed to end.
    expect(forecast.entries.map((e) => [e.etaMs, e.expectedReleaseMs])).toEqual([
      [2000, 2500],
      [2500, null],
      [null, null],
    ]);
  });

  test('a capacity change: dispatch then recompute every ETA', () => {
    const waiting = Array.from({ length: 50 }, (_, i) => claim(`w${i}`, 'standard', i, 10, 5000 + 100 * i));
    const input = { spec: spec({ capacity: 100 }), tiers: plainTiers, holdings: [], waiting, nowMs: 1000 };
    const first = forecastQueue(input);
    expect(first.decision.admitted).toHaveLength(10);
    const raised = forecastQueue({
      ...input,
      spec: spec({ capacity: 200 }),
      holdings: first.decision.holdings,
      waiting: first.decision.waiting,
    });
    expect(raised.decision.admitted.map((c) => c.id)).toEqual(waiting.slice(10, 20).map((c) => c.id));
    // The next in line waits for the first release (w0 at 5000) — one per release after that.
    expect(raised.forecast.entries.slice(0, 3).map((e) => e.etaMs)).toEqual([5000, 5100, 5200]);
  });

  test('bounded wait: when the line next changes by promotion', () => {
    const tiers = plainTiers.map((t) => (t.name === 'standard' ? { ...t, maxWaitInMs: 1000 } : t));
    const claims = [
      claim('s', 'standard', 0, 1),
      claim('s2', 'standard', 1500, 1),
      claim('h', 'health', 0, 1),
    ];
    expect(nextPromotionAt(tiers, claims, 2000)).toBe(2500);
    expect(nextPromotionAt(tiers, claims, 100_000)).toBeNull();
    expect(nextPromotionAt(plainTiers, claims, 2000)).toBeNull();
  });

  test('property: after a dispatch no waiting claim is expected to start now (dispatch and ETAs agree)', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const { forecast } = forecastQueue(s);
        for (const e of forecast.entries) expect(e.etaMs === null || e.etaMs > s.nowMs).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('property: positions run 1..n and the tiers ahead add up to position − 1', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const forecast = simulateQueue(s);
        expect(forecast.entries.map((e) => e.claim.id).sort()).toEqual(s.waiting.map((c) => c.id).sort());
        forecast.entries.forEach((e, i) => {
          expect(e.position).toBe(i + 1);
          expect(Object.values(e.aheadByTier).reduce((sum, x) => sum + x, 0)).toBe(i);
          expect(e.reason.length).toBeGreaterThan(0);
          if (e.etaMs === null) expect(e.reason).toMatch(/^no capacity is expected to free up/);
          else expect(e.etaMs).toBeGreaterThanOrEqual(s.nowMs);
        });
      }),
    );
  });
});
