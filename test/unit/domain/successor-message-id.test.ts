import fc from 'fast-check';
import { successorMessageId, type SuccessorReason } from '../../../shared/domain/back-off';

describe('successorMessageId', () => {
  test('a retry names its attempt; a wait keeps it and counts the waits since', () => {
    expect(successorMessageId('req1:batch:0003', { retry: 2 })).toBe('req1:batch:0003:a2');
    expect(successorMessageId('req1:batch:0003:a2', { retry: 3 })).toBe('req1:batch:0003:a3');
    expect(successorMessageId('req1:batch:0003', 'wait')).toBe('req1:batch:0003:w1');
    expect(successorMessageId('req1:batch:0003:w1', 'wait')).toBe('req1:batch:0003:w2');
    expect(successorMessageId('req1:batch:0003:a2:w4', 'wait')).toBe('req1:batch:0003:a2:w5');
    // A failure after waits starts the next attempt's count afresh.
    expect(successorMessageId('req1:batch:0003:a2:w4', { retry: 3 })).toBe('req1:batch:0003:a3');
  });

  test('a poll keeps the attempt, counts the polls since it and drops the waits', () => {
    expect(successorMessageId('req1:batch:0003', 'poll')).toBe('req1:batch:0003:p1');
    expect(successorMessageId('req1:batch:0003:a2:p1', 'poll')).toBe('req1:batch:0003:a2:p2');
    expect(successorMessageId('req1:batch:0003:a2:p2:w3', 'poll')).toBe('req1:batch:0003:a2:p3');
    expect(successorMessageId('req1:batch:0003:a2:p2', 'wait')).toBe('req1:batch:0003:a2:p2:w1');
    expect(successorMessageId('req1:batch:0003:a2:p7:w1', { retry: 3 })).toBe('req1:batch:0003:a3');
  });

  test('along any chain of retries, waits and polls, no id repeats and none grows past its base and three suffixes', () => {
    const base = fc.stringMatching(/^[a-z0-9]{1,12}(:batch:[0-9]{4})?$/);
    const steps = fc.array(fc.constantFrom('retry', 'wait', 'poll'), { maxLength: 80 });
    fc.assert(
      fc.property(base, steps, (id, kinds) => {
        const seen = new Set([id]);
        let current = id;
        let attempt = 1;
        for (const kind of kinds) {
          const reason: SuccessorReason = kind === 'retry' ? { retry: ++attempt } : kind;
          const next = successorMessageId(current, reason);
          // A redelivery of the same message derives the same successor (duplicate detection drops it).
          expect(successorMessageId(current, reason)).toBe(next);
          expect(seen.has(next)).toBe(false);
          expect(next.length).toBeLessThanOrEqual(id.length + 3 * 2 + String(kinds.length + 1).length * 3);
          seen.add(next);
          current = next;
        }
      }),
    );
  });
});
