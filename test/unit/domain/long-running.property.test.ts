import fc from 'fast-check';
import {
  afterPoll,
  continueOperation,
  defaultOperationPolicy,
  earliestPoll,
  nextPollTime,
  parseRetryAfter,
  startOperation,
  type OperationAnswer,
  type OperationPolicy,
} from '../../../shared/domain/long-running';

const policyArb: fc.Arbitrary<OperationPolicy> = fc
  .record({
    defaultPollMs: fc.integer({ min: 1, max: 600_000 }),
    minPollMs: fc.integer({ min: 1, max: 10_000 }),
    extra: fc.integer({ min: 0, max: 600_000 }),
    deadlineMs: fc.integer({ min: 1, max: 48 * 3_600_000 }),
  })
  .map(({ extra, ...p }) => ({ ...p, maxPollMs: p.minPollMs + extra }));

const answerArb: fc.Arbitrary<OperationAnswer> = fc.oneof(
  fc.constant<OperationAnswer>({ ok: true }),
  fc.record({ ok: fc.constant(false as const), retryable: fc.boolean(), reason: fc.constant('why') }),
  fc.record({
    ok: fc.constant('in-progress' as const),
    operationUrl: fc.constantFrom('https://b.example/op/1', 'https://b.example/op/2'),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 10 * 3_600_000 }), { nil: undefined }),
  }),
);

const t0 = Date.parse('2026-12-01T10:00:00Z');

describe('long-running operations: polling decisions', () => {
  test('a next poll is never in the past, never past the deadline, never further than maxPollMs', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.option(fc.integer({ min: 0, max: 10 * 3_600_000 }), { nil: undefined }),
        fc.integer({ min: -3_600_000, max: 48 * 3_600_000 }),
        (policy, retryAfterMs, deadlineOffset) => {
          const now = new Date(t0);
          const deadline = new Date(t0 + deadlineOffset);
          const at = nextPollTime(policy, retryAfterMs, now, deadline).getTime();
          expect(at).toBeGreaterThanOrEqual(t0);
          expect(at).toBeLessThanOrEqual(Math.max(t0, deadline.getTime()));
          expect(at).toBeLessThanOrEqual(t0 + policy.maxPollMs);
          // Before the deadline it waits at least the minimum (a back-end cannot make Triage spin).
          if (deadline.getTime() >= t0 + policy.minPollMs)
            expect(at).toBeGreaterThanOrEqual(t0 + policy.minPollMs);
        },
      ),
    );
  });

  test('along any run of answers: final answers end it, nothing stays open past its deadline, polls count up', () => {
    fc.assert(
      fc.property(policyArb, fc.array(answerArb, { minLength: 1, maxLength: 60 }), (policy, answers) => {
        let operation = startOperation(policy, 'https://b.example/op/0', undefined, new Date(t0));
        const deadline = Date.parse(operation.deadlineAt);
        expect(deadline).toBe(t0 + policy.deadlineMs);
        for (const answer of answers) {
          // Each poll happens when it was due.
          const now = new Date(Date.parse(operation.nextPollAt));
          const step = afterPoll(policy, operation, answer, now);
          const final = answer.ok === true || (answer.ok === false && !answer.retryable);
          if (final) {
            expect(step).toHaveProperty('ended');
            expect('ended' in step && step.ended.ok).toBe(answer.ok === true);
            return;
          }
          if (now.getTime() >= deadline) {
            expect(step).toEqual({ ended: { ok: false, reason: expect.stringContaining('deadline') } });
            return;
          }
          if (!('pending' in step))
            throw new Error('an open operation before its deadline must stay pending');
          expect(step.pending.polls).toBe(operation.polls + 1);
          expect(Date.parse(step.pending.nextPollAt)).toBeLessThanOrEqual(deadline);
          expect(step.pending.startedAt).toBe(operation.startedAt);
          expect(step.pending.url).toBe(answer.ok === 'in-progress' ? answer.operationUrl : operation.url);
          operation = step.pending;
        }
      }),
    );
  });

  test('an operation polled at most maxPollMs apart reaches its deadline in a bounded number of polls', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        fc.pre(policy.deadlineMs / policy.minPollMs < 5_000);
        let operation = startOperation(policy, 'https://b.example/op', 0, new Date(t0));
        for (let polls = 0; ; polls++) {
          expect(polls).toBeLessThanOrEqual(Math.ceil(policy.deadlineMs / policy.minPollMs) + 1);
          const next = continueOperation(
            policy,
            operation,
            { retryAfterMs: 0 },
            new Date(Date.parse(operation.nextPollAt)),
          );
          if (next === 'deadline-passed') return;
          operation = next;
        }
      }),
    );
  });

  test('Retry-After: delta-seconds or an HTTP-date; anything else is ignored', () => {
    const now = new Date(t0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(new Date(t0 + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter(new Date(t0 - 90_000).toUTCString(), now)).toBe(0);
    for (const junk of [null, undefined, '', '-5', '1.5', 'soon', '2026-12-01', '9'.repeat(30)]) {
      expect(parseRetryAfter(junk, now)).toBeUndefined();
    }
  });

  test('the defaults: 30 s between polls, at most 5 minutes, 24 hours to finish; earliest of several', () => {
    const op = startOperation(defaultOperationPolicy, 'https://b.example/op', undefined, new Date(t0));
    expect(Date.parse(op.nextPollAt) - t0).toBe(30_000);
    expect(Date.parse(op.deadlineAt) - t0).toBe(24 * 3_600_000);
    const later = startOperation(defaultOperationPolicy, 'https://b.example/op', 3_600_000, new Date(t0));
    expect(Date.parse(later.nextPollAt) - t0).toBe(5 * 60_000);
    expect(earliestPoll([later, op])?.toISOString()).toBe(op.nextPollAt);
    expect(earliestPoll([])).toBeUndefined();
  });
});
