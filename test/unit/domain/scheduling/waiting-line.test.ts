import fc from 'fast-check';
import {
  orderWaitingLine,
  promotionsOf,
  tiersInOrder,
  type TierPolicy,
  type WaitingClaim,
} from '../../../../shared/domain/scheduling/waiting-line';

const day = 86_400_000;
const tiers: TierPolicy[] = [
  { name: 'health', rank: 1 },
  { name: 'government', rank: 2 },
  { name: 'remote-work', rank: 3 },
  { name: 'standard', rank: 4, maxWaitInMs: 14 * day },
];
const claim = (id: string, orgId: string, tier: string, arrivedAtMs: number): WaitingClaim => ({
  id,
  orgId,
  tier,
  arrivedAtMs,
});

describe('waiting line', () => {
  test('tier order first, then organisations take turns, then arrival', () => {
    const line = orderWaitingLine(
      [
        claim('s1', 'big', 'standard', 1),
        claim('s2', 'big', 'standard', 2),
        claim('s3', 'big', 'standard', 3),
        claim('s4', 'care-home', 'standard', 4),
        claim('h1', 'hospital', 'health', 10),
      ],
      tiers,
      100,
    );
    expect(line.map((c) => c.id)).toEqual(['h1', 's1', 's4', 's2', 's3']);
  });

  test('bounded wait promotes one tier per elapsed maxWait, never above the first', () => {
    const old = claim('old', 'o', 'standard', 0);
    const ordered = tiersInOrder(tiers);
    expect(promotionsOf(old, ordered, 13 * day)).toBe(0);
    expect(promotionsOf(old, ordered, 14 * day)).toBe(1);
    expect(promotionsOf(old, ordered, 100 * day)).toBe(3);
    const line = orderWaitingLine([claim('g', 'x', 'government', 29 * day), old], tiers, 29 * day);
    expect(line.map((c) => c.id)).toEqual(['old', 'g']);
  });

  test('property: a permutation of the claims, each organisation in arrival order, tiers never inverted', () => {
    const arbClaim = fc.record({
      id: fc.uuid(),
      orgId: fc.constantFrom('a', 'b', 'c', 'd'),
      tier: fc.constantFrom('health', 'government', 'remote-work'),
      arrivedAtMs: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbClaim, { selector: (c) => c.id, maxLength: 40 }), (claims) => {
        const line = orderWaitingLine(claims, tiers, 2000);
        expect(new Set(line.map((c) => c.id))).toEqual(new Set(claims.map((c) => c.id)));
        const rank = (t: string) => tiers.find((x) => x.name === t)?.rank ?? 99;
        for (let i = 1; i < line.length; i++) {
          expect(rank(line[i - 1]!.tier)).toBeLessThanOrEqual(rank(line[i]!.tier));
        }
        for (const org of ['a', 'b', 'c', 'd']) {
          const mine = line.filter((c) => c.orgId === org);
          for (let i = 1; i < mine.length; i++) {
            if (mine[i - 1]!.tier === mine[i]!.tier)
              expect(mine[i - 1]!.arrivedAtMs).toBeLessThanOrEqual(mine[i]!.arrivedAtMs);
          }
        }
      }),
    );
  });
});
