import fc from 'fast-check';
import {
  amountsByIndex,
  availableOf,
  capacityAt,
  capacityView,
  headroomOf,
  tierTable,
} from '../../../../shared/domain/scheduling/capacity';
import { plainTiers, tierNames } from './capacity-arbitraries';

const table = tierTable(plainTiers);

describe('capacity with nested reservations', () => {
  test('each tier sees the capacity less what is used and the unused reservations above it, never its own', () => {
    const view = capacityView(
      table,
      10_000,
      { health: 2000, government: 500 },
      { standard: 7000, health: 300 },
    );
    expect(view.used).toBe(7300);
    expect(view.availableByTier).toEqual({
      health: 2700,
      government: 1000,
      'remote-work': 500,
      standard: 500,
    });
    expect(view.reserved).toEqual({ health: 2000, government: 500 });
    expect(view.usedByTier).toEqual({ health: 300, government: 0, 'remote-work': 0, standard: 7000 });
  });

  test('a capacity lowered below use gives 0, not a negative; unknown tiers count as used, served last', () => {
    const view = capacityView(table, 100, { health: 50 }, { standard: 120, legacy: 5 });
    expect(view.used).toBe(125);
    expect(Object.values(view.availableByTier)).toEqual([0, 0, 0, 0]);
    expect(view.usedByTier.legacy).toBe(5);
    expect(
      headroomOf(
        table.indexOf('legacy'),
        100,
        amountsByIndex(table, { health: 50 }),
        amountsByIndex(table, {}),
      ),
    ).toBe(50);
  });

  test('the schedule: the latest change at or before a time is in force', () => {
    const spec = {
      capacity: 10,
      schedule: [
        { atMs: 200, capacity: 30 },
        { atMs: 100, capacity: 20 },
      ],
    };
    expect([
      capacityAt(spec, 99),
      capacityAt(spec, 100),
      capacityAt(spec, 150),
      capacityAt(spec, 500),
    ]).toEqual([10, 20, 20, 30]);
  });

  const arbState = fc.record({
    capacity: fc.integer({ min: 0, max: 200 }),
    reserved: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 5, maxLength: 5 }),
    used: fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 5, maxLength: 5 }),
  });

  test('property: higher tiers see at least what lower tiers see; availability is never negative', () => {
    fc.assert(
      fc.property(arbState, ({ capacity, reserved, used }) => {
        for (let t = 0; t < tierNames.length; t++) {
          const here = availableOf(t, capacity, reserved, used);
          expect(here).toBeGreaterThanOrEqual(0);
          expect(availableOf(t + 1, capacity, reserved, used)).toBeLessThanOrEqual(here);
        }
      }),
    );
  });

  test('property: a tier taking all it may leaves every higher tier at least its own unused reservation', () => {
    fc.assert(
      fc.property(
        arbState,
        fc.integer({ min: 0, max: tierNames.length }),
        ({ capacity, reserved, used }, t) => {
          const taken = availableOf(t, capacity, reserved, used);
          const after = [...used];
          after[t] = after[t]! + taken;
          for (let u = 0; u < t; u++) {
            // What u could take before, less what t took beyond the unused reservations between them.
            expect(availableOf(u, capacity, reserved, after)).toBeGreaterThanOrEqual(
              Math.min(availableOf(u, capacity, reserved, used), Math.max(0, reserved[u]! - used[u]!)),
            );
          }
          // And t can take no more.
          expect(availableOf(t, capacity, reserved, after)).toBe(0);
        },
      ),
    );
  });

  test('property: using its own reservation never shrinks what a lower tier sees', () => {
    fc.assert(
      fc.property(arbState, fc.integer({ min: 0, max: 3 }), ({ capacity, reserved, used }, t) => {
        const room = Math.max(0, Math.min(reserved[t]! - used[t]!, availableOf(t, capacity, reserved, used)));
        const after = [...used];
        after[t] = after[t]! + room;
        for (let lower = t + 1; lower <= tierNames.length; lower++) {
          expect(headroomOf(lower, capacity, reserved, after)).toBe(
            headroomOf(lower, capacity, reserved, used),
          );
        }
      }),
    );
  });
});
