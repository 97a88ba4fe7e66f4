import fc from 'fast-check';
import { dispatch } from '../../../../shared/domain/scheduling/admission';
import { arrivalPlace } from '../../../../shared/domain/scheduling/arrival-place';
import { tierTable } from '../../../../shared/domain/scheduling/capacity';
import {
  capacityLine,
  unionLine,
  type CapacityClaim,
  type CapacityHolding,
} from '../../../../shared/domain/scheduling/capacity-line';
import { arbScenario, plainTiers } from './capacity-arbitraries';

const table = tierTable(plainTiers);
const claim = (id: string, orgId: string, arrivedAtMs: number): CapacityClaim => ({
  id,
  orgId,
  tier: 'health',
  arrivedAtMs,
  quantity: 1,
});

describe('the capacity line', () => {
  const serveOneAtATime = (releaseEachTime: boolean): string[] => {
    let holdings: CapacityHolding[] = [];
    let waiting = [
      claim('h1', 'hospital', 1),
      claim('h2', 'hospital', 2),
      claim('h3', 'hospital', 3),
      claim('care', 'care-home', 4),
    ];
    const served: string[] = [];
    for (let round = 1; round <= 4; round++) {
      // One more unit each time: a raise, or (when releasing) the previous claim given back.
      const capacity = releaseEachTime ? 1 : round;
      const spec = { label: 'pool vm@x', capacity, reserved: {}, policy: 'strict' as const, schedule: [] };
      const decision = dispatch({ spec, tiers: plainTiers, holdings, waiting, nowMs: 10 + round });
      served.push(...decision.admitted.map((c) => c.id));
      holdings = releaseEachTime ? [] : decision.holdings;
      waiting = decision.waiting;
    }
    return served;
  };

  test("the care home does not wait behind the hospital's backlog, even served one unit at a time", () => {
    // Ordered over the waiting claims alone, every dispatch would pick the oldest: h1, h2, h3, care.
    expect(serveOneAtATime(false)).toEqual(['h1', 'care', 'h2', 'h3']);
  });

  test('the limit: turns count what is held now, so a claim given back before the next dispatch is forgotten', () => {
    expect(serveOneAtATime(true)).toEqual(['h1', 'h2', 'h3', 'care']);
  });

  test("holdings count in their organisation's turns: one holding much waits behind one holding nothing", () => {
    const holdings: CapacityHolding[] = [{ ...claim('big-running', 'hospital', 0), started: true }];
    const line = capacityLine(
      holdings,
      [claim('h2', 'hospital', 1), claim('care', 'care-home', 2)],
      plainTiers,
      table,
      5,
    );
    expect(line.map((e) => e.claim.id)).toEqual(['care', 'h2']);
  });

  test("property: admitting or pushing back changes no one's place", () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const before = unionLine(s.holdings, s.waiting, s.tiers, tierTable(s.tiers), s.nowMs).map(
          (e) => e.claim.id,
        );
        const d = dispatch(s);
        const after = unionLine(d.holdings, d.waiting, s.tiers, tierTable(s.tiers), s.nowMs).map(
          (e) => e.claim.id,
        );
        expect(after).toEqual(before);
      }),
    );
  });

  test('property: arrivalPlace agrees with the full line about whether anyone waits ahead', () => {
    fc.assert(
      fc.property(arbScenario(), fc.nat(), (s, pick) => {
        if (s.waiting.length === 0) return;
        const arriving = s.waiting[pick % s.waiting.length]!;
        const others = s.waiting.filter((c) => c !== arriving);
        const line = capacityLine(s.holdings, s.waiting, s.tiers, tierTable(s.tiers), s.nowMs);
        const place = arrivalPlace(
          { tiers: s.tiers, holdings: s.holdings, waiting: others, nowMs: s.nowMs },
          arriving,
        );
        expect(place.anyAhead).toBe(line[0]!.claim !== arriving);
        const mine = line.find((e) => e.claim === arriving)!;
        expect(place.index).toBe(mine.servedIndex);
        const lower = unionLine(s.holdings, s.waiting, s.tiers, tierTable(s.tiers), s.nowMs).filter(
          (e) => e.holding && e.servedIndex > mine.servedIndex && !(e.claim as CapacityHolding).started,
        );
        expect(place.preemptable).toBe(
          place.anyAhead ? 0 : lower.reduce((sum, e) => sum + e.claim.quantity, 0),
        );
      }),
      { numRuns: 500 },
    );
  });
});
