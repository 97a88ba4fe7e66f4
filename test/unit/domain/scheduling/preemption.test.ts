import fc from 'fast-check';
import type { CapacityHolding } from '../../../../shared/domain/scheduling/capacity-line';
import { choosePreemption } from '../../../../shared/domain/scheduling/preemption';

const holding = (id: string, quantity: number): CapacityHolding => ({
  id,
  orgId: 'o',
  tier: 'standard',
  arrivedAtMs: 0,
  quantity,
  started: false,
});

describe('choosing what to preempt', () => {
  test('the latest first, then what is not needed after all is kept, earliest first', () => {
    const inLine = [holding('a', 5), holding('b', 2), holding('c', 1), holding('d', 3)];
    // Latest first: d (3), c (1), b (2) reach 6 ≥ 5. Then, earliest first: without b 4 < 5 (needed),
    // without c still 5 (kept running), without d 2 < 5 (needed).
    expect(choosePreemption([...inLine].reverse(), 5)?.map((h) => h.id)).toEqual(['b', 'd']);
    expect(choosePreemption([...inLine].reverse(), 12)).toBeNull();
    expect(choosePreemption([...inLine].reverse(), 0)).toEqual([]);
  });

  test('started work is refused', () => {
    expect(() => choosePreemption([{ ...holding('x', 1), started: true }], 1)).toThrow(/has started/);
  });

  test('property: null only when all together free too little; otherwise enough, minimal, in line order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 60 }),
        (sizes, need) => {
          const inLine = sizes.map((q, i) => holding(`h${i}`, q));
          const chosen = choosePreemption([...inLine].reverse(), need);
          const total = sizes.reduce((sum, q) => sum + q, 0);
          if (chosen === null) {
            expect(total).toBeLessThan(need);
            return;
          }
          const freed = chosen.reduce((sum, h) => sum + h.quantity, 0);
          expect(freed).toBeGreaterThanOrEqual(need);
          for (const h of chosen) expect(freed - h.quantity).toBeLessThan(need);
          const positions = chosen.map((h) => inLine.indexOf(h));
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
          // Nothing earlier than the earliest one taken was needed: all it skipped lies further down the line.
          const earliest = Math.min(...positions);
          expect(inLine.slice(earliest).reduce((sum, h) => sum + h.quantity, 0)).toBeGreaterThanOrEqual(need);
        },
      ),
    );
  });
});
