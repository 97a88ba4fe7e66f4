import fc from 'fast-check';
import {
  addToTotals,
  mergeTotals,
  totalsView,
  type TotalsByTier,
  type TotalsRow,
} from '../../../../shared/domain/request-totals';
import { requestStatuses } from '../../../../shared/domain/status';

const rowArb: fc.Arbitrary<TotalsRow> = fc.record({
  tier: fc.constantFrom('health', 'government', 'standard'),
  status: fc.constantFrom(...requestStatuses),
  kind: fc.constantFrom('provision' as const, 'migrate' as const),
  total: fc.nat(1000),
  succeeded: fc.nat(1000),
  failed: fc.nat(1000),
  createdAt: fc
    .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
    .map((d) => d.toISOString()),
});

describe('request totals', () => {
  test('totals of days summed equal the totals of all their requests, in any split', () => {
    fc.assert(
      fc.property(fc.array(fc.array(rowArb, { maxLength: 20 }), { maxLength: 6 }), (days) => {
        const perDay = days.map((rows) => rows.reduce<TotalsByTier>(addToTotals, {}));
        const whole = days.flat().reduce<TotalsByTier>(addToTotals, {});
        expect(mergeTotals(perDay)).toEqual(whole);
        const view = totalsView(whole, ['health', 'government', 'standard']);
        expect(Object.values(view.byStatus).reduce((a, b) => a + b, 0)).toBe(days.flat().length);
      }),
    );
  });

  test('every known tier and status is listed, zero when empty', () => {
    const view = totalsView({}, ['health']);
    expect(view.byTier.health!.running).toBe(0);
    expect(Object.keys(view.byStatus)).toEqual([...requestStatuses]);
  });
});
