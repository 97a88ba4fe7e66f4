/**
 * OData `$filter` building for Table Storage queries whose values come from callers (list filters).
 *
 * Why not `odata` from `@azure/data-tables`: it is an `@azure/*` import (the domain stays SDK-free); it
 * decides whether to add quotes by looking at the template text before each value, so `odata\`Tier eq
 * '${v}'\`` and `odata\`Tier eq ${v}\`` both work but a hand-written quote in the wrong place silently
 * changes meaning; it interpolates numbers as-is (`NaN`, `Infinity` become invalid filters) and property
 * names unchecked; and it passes control characters through. Here every piece is checked and a bad one
 * throws, so an injection attempt is an error, never a different query.
 */

/** Property names Table Storage accepts in a filter (a C# identifier subset). */
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// C0 controls, DEL and C1 controls: Table Storage rejects them in keys, and no id of ours contains them.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** A value that can be compared in a filter. */
export type ODataValue = string | number | boolean;

/**
 * Returns `property eq <literal>` with the value encoded as a single OData literal.
 * Strings are single-quoted with `'` doubled; numbers and booleans are written bare.
 * @throws TypeError when `property` is not an identifier (`/^[A-Za-z_][A-Za-z0-9_]*$/`) or the value's
 *   type is not string, number or boolean.
 * @throws RangeError when a string contains a control character or a number is not finite.
 */
export function odataEquals(property: string, value: ODataValue): string {
  return `${odataProperty(property)} eq ${odataLiteral(value)}`;
}

/**
 * Joins clauses with `and`, each parenthesised so an `or` inside one cannot leak into the others.
 * No clause gives `''` (no filter); one clause is returned unchanged.
 * @throws RangeError when a clause is empty or blank.
 */
export function odataAnd(...clauses: string[]): string {
  for (const clause of clauses) {
    if (typeof clause !== 'string' || clause.trim() === '') {
      throw new RangeError('odataAnd: every clause must be a non-empty filter expression');
    }
  }
  if (clauses.length === 0) return '';
  if (clauses.length === 1) return clauses[0] as string;
  return clauses.map((clause) => `(${clause})`).join(' and ');
}

/**
 * Checks and returns a property name.
 * @throws TypeError when it is not an identifier.
 */
export function odataProperty(property: string): string {
  if (typeof property !== 'string' || !PROPERTY_NAME.test(property)) {
    throw new TypeError(`"${String(property)}" is not a valid OData property name (letters, digits, _)`);
  }
  return property;
}

/**
 * Encodes one value as an OData literal.
 * @throws TypeError for an unsupported type; RangeError for control characters or a non-finite number.
 */
export function odataLiteral(value: ODataValue): string {
  switch (typeof value) {
    case 'string':
      if (CONTROL_CHARACTER.test(value)) {
        throw new RangeError('OData string values must not contain control characters');
      }
      return `'${value.replace(/'/g, "''")}'`;
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`OData numbers must be finite, got ${value}`);
      // -0 prints as "0"; exponents ("1e+21") are valid OData double literals.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      throw new TypeError(`Unsupported OData value type: ${typeof value}`);
  }
}
