import fc from 'fast-check';
import { etaMovedEnough } from '../../../../shared/domain/scheduling/eta-change';

const hour = 3_600_000;

describe('ETA change threshold', () => {
  test('appearing or disappearing always counts; null to null does not', () => {
    expect(etaMovedEnough(null, 5, 0)).toBe(true);
    expect(etaMovedEnough(5, null, 0)).toBe(true);
    expect(etaMovedEnough(null, null, 0)).toBe(false);
  });

  test('the larger of one hour and 10 % of the remaining wait', () => {
    expect(etaMovedEnough(2 * hour, 2 * hour + 59 * 60_000, 0)).toBe(false);
    expect(etaMovedEnough(2 * hour, 3 * hour + 1, 0)).toBe(true);
    // 100 hours away: 10 % is 10 hours.
    expect(etaMovedEnough(100 * hour, 109 * hour, 0)).toBe(false);
    expect(etaMovedEnough(100 * hour, 89 * hour, 0)).toBe(true);
  });

  test('property: symmetric in direction and never fires within one hour', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: -hour, max: hour }), (eta, move) => {
        expect(etaMovedEnough(eta, eta + move, 0)).toBe(false);
      }),
    );
  });
});
