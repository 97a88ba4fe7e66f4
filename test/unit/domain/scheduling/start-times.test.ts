import fc from 'fast-check';
import { tierTable } from '../../../../shared/domain/scheduling/capacity';
import { capacityLine } from '../../../../shared/domain/scheduling/capacity-line';
import { simulateStarts } from '../../../../shared/domain/scheduling/start-times';
import { arbScenario, headroomFor, naiveStarts, plainTiers, type Scenario } from './capacity-arbitraries';

function run(s: Scenario) {
  const table = tierTable(s.tiers);
  const line = capacityLine(s.holdings, s.waiting, s.tiers, table, s.nowMs);
  const starts = simulateStarts({ spec: s.spec, table, holdings: s.holdings, line, nowMs: s.nowMs });
  return { table, line, starts };
}

describe('simulated starts', () => {
  test('a claim that fits now starts now; one that needs a release starts at it; none known: null', () => {
    const s: Scenario = {
      spec: { label: 'pool vm@x', capacity: 10, reserved: {}, policy: 'strict', schedule: [] },
      tiers: plainTiers,
      holdings: [
        {
          id: 'h1',
          orgId: 'a',
          tier: 'standard',
          arrivedAtMs: 0,
          quantity: 4,
          started: true,
          holdUntilMs: 500,
        },
        { id: 'h2', orgId: 'a', tier: 'standard', arrivedAtMs: 0, quantity: 4, started: true },
      ],
      waiting: [
        { id: 'w1', orgId: 'b', tier: 'health', arrivedAtMs: 1, quantity: 2 },
        { id: 'w2', orgId: 'b', tier: 'health', arrivedAtMs: 2, quantity: 4 },
        { id: 'w3', orgId: 'b', tier: 'health', arrivedAtMs: 3, quantity: 1 },
      ],
      nowMs: 100,
    };
    expect(run(s).starts.startMs).toEqual([100, 500, null]);
    expect(run(s).starts.cause).toEqual([null, null, 'never-fits']);
  });

  test('strict keeps order; backfill lets a short claim run before the head without delaying it', () => {
    const base: Scenario = {
      spec: { label: 'pool vm@x', capacity: 10, reserved: {}, policy: 'strict', schedule: [] },
      tiers: plainTiers,
      holdings: [
        {
          id: 'h',
          orgId: 'a',
          tier: 'standard',
          arrivedAtMs: 0,
          quantity: 6,
          started: true,
          holdUntilMs: 1000,
        },
      ],
      waiting: [
        { id: 'big', orgId: 'b', tier: 'health', arrivedAtMs: 1, quantity: 8 },
        { id: 'short', orgId: 'c', tier: 'standard', arrivedAtMs: 2, quantity: 3, holdUntilMs: 900 },
        { id: 'long', orgId: 'c', tier: 'standard', arrivedAtMs: 3, quantity: 3, holdUntilMs: 2000 },
      ],
      nowMs: 100,
    };
    // Strict: "short" waits for "big", which leaves 2 free for good.
    expect(run(base).starts.startMs).toEqual([1000, null, null]);
    const backfill = { ...base, spec: { ...base.spec, policy: 'backfill' as const } };
    // "short" is back by 1000, when "big" starts; "long" would overlap it and leave only 10 − 8 − 3 < 0.
    expect(run(backfill).starts.startMs).toEqual([1000, 100, null]);
  });

  test('property: the fast engine agrees with the naive one', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const { table, line, starts } = run(s);
        expect(starts.startMs).toEqual(naiveStarts(s.spec, table, s.holdings, line, s.nowMs));
      }),
      { numRuns: 400 },
    );
  });

  test('property: at every simulated start the claim fits its served tier, given everything active then', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const { table, line, starts } = run(s);
        const holdingActive = (until: number | undefined, at: number) =>
          until === undefined || until <= s.nowMs || until > at;
        line.forEach((entry, i) => {
          const at = starts.startMs[i];
          if (at === null || at === undefined) return;
          expect(at).toBeGreaterThanOrEqual(s.nowMs);
          const active = [
            ...s.holdings.filter((h) => holdingActive(h.holdUntilMs, at)),
            ...line
              .filter((_, j) => {
                const start = starts.startMs[j];
                if (j === i || start === null || start === undefined) return false;
                const release = starts.releaseMs[j];
                const runs = start <= at && (release === null || release === undefined || release > at);
                // At the same instant, only claims ahead in line started before it.
                return runs && (start < at || j < i);
              })
              .map((e) => e.claim),
          ];
          expect(entry.claim.quantity).toBeLessThanOrEqual(
            headroomFor(table, s.spec, at, entry.servedIndex, active),
          );
        });
      }),
      { numRuns: 400 },
    );
  });

  test('property: strict starts never go backwards along the line; backfill is never later than strict', () => {
    fc.assert(
      fc.property(arbScenario('strict'), (s) => {
        const strict = run(s).starts.startMs;
        let previous = -Infinity;
        let seenNull = false;
        for (const start of strict) {
          if (start === null) seenNull = true;
          else {
            expect(seenNull).toBe(false);
            expect(start).toBeGreaterThanOrEqual(previous);
            previous = start;
          }
        }
        const backfill = run({ ...s, spec: { ...s.spec, policy: 'backfill' } }).starts.startMs;
        backfill.forEach((start, i) => {
          const strictStart = strict[i] ?? null;
          if (strictStart !== null) expect(start).not.toBeNull();
          if (strictStart !== null && start !== null && start !== undefined)
            expect(start).toBeLessThanOrEqual(strictStart);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('property: backfill — leaving any claim out never makes a claim ahead of it start earlier', () => {
    fc.assert(
      fc.property(arbScenario('backfill'), fc.nat(), (s, pick) => {
        const { line, starts } = run(s);
        if (line.length === 0) return;
        const k = pick % line.length;
        const without = run({ ...s, waiting: s.waiting.filter((c) => c !== line[k]!.claim) });
        // The line without it keeps the others' order: compare those ahead of it.
        for (let i = 0; i < k; i++) expect(without.starts.startMs[i]).toEqual(starts.startMs[i]);
      }),
      { numRuns: 300 },
    );
  });
});
