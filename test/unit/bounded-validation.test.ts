import fc from 'fast-check';
import { z } from 'zod';
import {
  boundedArray,
  displayTextProblem,
  listedIssues,
  maxReportedProblems,
  problemCount,
} from '../../shared/domain/bounded-validation';

describe('boundedArray', () => {
  const element = z.number().int();
  const schema = boundedArray(element, { max: 500 });

  test('property: never more than 100 problems listed, and the count is the true number of bad elements', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant('x')), { maxLength: 500 }), (values) => {
        const bad = values.filter((v) => typeof v !== 'number').length;
        const result = schema.safeParse(values);
        if (bad === 0) return result.success && result.data.length === values.length;
        if (result.success) return false;
        const listed = listedIssues(result.error.issues);
        return (
          listed.length === Math.min(bad, maxReportedProblems) && problemCount(result.error.issues) === bad
        );
      }),
    );
  });

  test('a too-long array is refused by its length without looking at one element', () => {
    let looked = 0;
    const counting = z.unknown().refine(() => {
      looked++;
      return true;
    });
    const result = boundedArray(counting, { max: 3 }).safeParse([1, 2, 3, 4]);
    expect(result.success).toBe(false);
    expect(looked).toBe(0);
    expect(result.error?.issues).toEqual([expect.objectContaining({ code: 'too_big', path: [] })]);
  });

  test('elements are reported at their own index', () => {
    const result = schema.safeParse([1, 'a', 3]);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: [1] })]);
  });
});

describe('displayTextProblem', () => {
  test.each(['Royal Infirmary', 'Hôpital Saint-Éloi', 'NHS 24', 'Ysbyty Gwynedd (Bangor)'])(
    'accepts %s',
    (text) => {
      expect(displayTextProblem(text)).toBeUndefined();
    },
  );

  test('property: any text holding a control, bidi or invisible character is refused', () => {
    const unsafe = fc.constantFrom(
      '\u0000',
      '\r',
      '\n',
      '\u0085',
      '\u202e',
      '\u2066',
      '\u200b',
      '\ufeff',
      '\u2028',
    );
    fc.assert(
      fc.property(fc.string(), unsafe, fc.string(), (before, bad, after) => {
        return displayTextProblem(`a${before}${bad}${after}a`) !== undefined;
      }),
    );
  });
});
