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

  test('along any chain of retries and waits, no id repeats and none grows past its base and two suffixes', () => {
    const base = fc.stringMatching(/^[a-z0-9]{1,12}(:batch:[0-9]{4})?$/);
    const steps = fc.array(fc.boolean(), { maxLength: 60 });
    fc.assert(
      fc.property(base, steps, (id, retries) => {
        const seen = new Set([id]);
        let current = id;
        let attempt = 1;
        for (const retry of retries) {
          const reason: SuccessorReason = retry ? { retry: ++attempt } : 'wait';
          const next = successorMessageId(current, reason);
          // A redelivery of the same message derives the same successor (duplicate detection drops it).
          expect(successorMessageId(current, reason)).toBe(next);
          expect(seen.has(next)).toBe(false);
          expect(next.length).toBeLessThanOrEqual(id.length + 2 * 4 + String(retries.length + 1).length * 2);
          seen.add(next);
          current = next;
        }
      }),
    );
  });
});
