import fc from 'fast-check';
import { odataAnd, odataEquals, odataLiteral, odataProperty } from '../../shared/domain/odata';

/**
 * Reads `Property eq '<literal>'` back the way Table Storage's lexer does: a literal ends at the first
 * single quote that is not doubled. Returns the decoded value, or null if anything follows the literal.
 */
function parseStringEquality(filter: string): { property: string; value: string } | null {
  const match = /^([A-Za-z_][A-Za-z0-9_]*) eq '/.exec(filter);
  if (!match) return null;
  let i = match[0].length;
  let value = '';
  for (;;) {
    const quote = filter.indexOf("'", i);
    if (quote < 0) return null;
    if (filter[quote + 1] === "'") {
      value += filter.slice(i, quote) + "'";
      i = quote + 2;
      continue;
    }
    value += filter.slice(i, quote);
    // The literal closed: it must be the end of the filter, nothing injected after it.
    return quote === filter.length - 1 ? { property: match[1] as string, value } : null;
  }
}

describe('odataEquals', () => {
  test('encodes strings, numbers and booleans', () => {
    expect(odataEquals('OrgId', 'contoso')).toBe("OrgId eq 'contoso'");
    expect(odataEquals('Count', 42)).toBe('Count eq 42');
    expect(odataEquals('Ratio', -1.5)).toBe('Ratio eq -1.5');
    expect(odataEquals('Done', true)).toBe('Done eq true');
    expect(odataEquals('Done', false)).toBe('Done eq false');
    expect(odataEquals('Name', '')).toBe("Name eq ''");
  });

  test.each([
    ["x' or '1' eq '1", "Tier eq 'x'' or ''1'' eq ''1'"],
    ["') or true or ('", "Tier eq ''') or true or ('''"],
    ["standard' or PartitionKey ne '", "Tier eq 'standard'' or PartitionKey ne '''"],
    ["'", "Tier eq ''''"],
  ])('keeps the injection attempt %j inside one literal', (attempt, expected) => {
    const filter = odataEquals('Tier', attempt);
    expect(filter).toBe(expected);
    expect(parseStringEquality(filter)).toEqual({ property: 'Tier', value: attempt });
  });

  test.each(['Tier eq 1 or 1', "Tier'", 'Tier Status', '1Tier', '', 'Ti-er', 'Tier)', 'Tïer'])(
    'refuses the property name %j with a TypeError',
    (property) => {
      expect(() => odataEquals(property, 'x')).toThrow(TypeError);
    },
  );

  test.each(['a\u0000b', 'line\nbreak', 'tab\t', '\u007f', '\u0085', '\r'])(
    'refuses control characters in %j with a RangeError',
    (value) => {
      expect(() => odataEquals('Tier', value)).toThrow(RangeError);
    },
  );

  test.each([NaN, Infinity, -Infinity])('refuses the number %p with a RangeError', (value) => {
    expect(() => odataEquals('Count', value)).toThrow(RangeError);
  });

  test('refuses values of other types with a TypeError', () => {
    expect(() => odataLiteral(null as unknown as string)).toThrow(TypeError);
    expect(() => odataLiteral({} as unknown as string)).toThrow(TypeError);
    expect(() => odataLiteral(10n as unknown as number)).toThrow(TypeError);
    expect(() => odataProperty(undefined as unknown as string)).toThrow(TypeError);
  });

  test('property: any string without control characters round-trips as exactly one literal', () => {
    const noControl = fc
      .string({ unit: 'grapheme', maxLength: 60 })
      .filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s));
    // Quote-heavy strings are where injection lives: bias the generator towards them.
    const quoteHeavy = fc
      .array(fc.constantFrom("'", "''", ' or ', ' eq ', ')', '(', 'true', 'x', ' and '), { maxLength: 20 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(noControl, quoteHeavy), (value) => {
        const parsed = parseStringEquality(odataEquals('Status', value));
        expect(parsed).toEqual({ property: 'Status', value });
      }),
      { numRuns: 2000 },
    );
  });

  test('property: any string with a control character is refused', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
        fc.string(),
        (before, code, after) => {
          expect(() => odataEquals('Status', before + String.fromCharCode(code) + after)).toThrow(RangeError);
        },
      ),
    );
  });
});

describe('odataAnd', () => {
  test('parenthesises every clause so an or cannot escape', () => {
    expect(odataAnd(odataEquals('OrgId', 'a'), odataEquals('Tier', 'health'))).toBe(
      "(OrgId eq 'a') and (Tier eq 'health')",
    );
    expect(odataAnd('A eq 1 or B eq 2', 'C eq 3')).toBe('(A eq 1 or B eq 2) and (C eq 3)');
  });

  test('no clause is no filter; one clause is unchanged', () => {
    expect(odataAnd()).toBe('');
    expect(odataAnd("X eq 'y'")).toBe("X eq 'y'");
  });

  test('refuses empty clauses', () => {
    expect(() => odataAnd('A eq 1', '')).toThrow(RangeError);
    expect(() => odataAnd('  ')).toThrow(RangeError);
  });
});
