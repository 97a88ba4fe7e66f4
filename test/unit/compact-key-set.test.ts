import fc from 'fast-check';
import { CompactKeySet } from '../../shared/domain/compact-key-set';

describe('CompactKeySet', () => {
  test('property: answers like a Map of first values (through several resizes)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 400 }), (keys) => {
        const set = new CompactKeySet(16);
        const map = new Map<string, number>();
        return keys.every((key, i) => {
          const expected = map.get(key);
          if (expected === undefined) map.set(key, i);
          return set.addIfAbsent(key, i) === expected && set.size === map.size;
        });
      }),
    );
  });

  test('300,000 distinct addresses: no false duplicate (the bench runs 2.1 million)', () => {
    const set = new CompactKeySet();
    let falseDuplicates = 0;
    for (let i = 0; i < 300_000; i++) {
      if (set.addIfAbsent(`user${i}@org-${i % 25_000}.example`, i + 2) !== undefined) falseDuplicates++;
    }
    expect(falseDuplicates).toBe(0);
    expect(set.size).toBe(300_000);
  });
});
