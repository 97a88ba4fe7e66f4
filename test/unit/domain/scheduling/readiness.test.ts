import fc from 'fast-check';
import { isTriageError, type TriageError } from '../../../../shared/domain/errors';
import {
  builtInChecks,
  evaluateReadiness,
  readinessReason,
  type ReadinessCheck,
} from '../../../../shared/domain/scheduling/readiness';
import { parseReadinessReport } from '../../../../shared/domain/scheduling/readiness-schema';

const required = ['identity-sync', 'licences', 'network', 'client-versions'];

function fieldsOf(body: unknown, requiredChecks: string[] = required): string[] {
  try {
    parseReadinessReport(body, requiredChecks);
  } catch (err) {
    if (isTriageError(err, 'validation')) return (err as TriageError).fields.map((f) => f.field);
    throw err;
  }
  return [];
}

describe('readiness', () => {
  test('ready only when every required check passes; silence is pending', () => {
    const all: ReadinessCheck[] = required.map((name) => ({ name, status: 'pass' }));
    expect(evaluateReadiness(all, required)).toEqual({ ready: true, failing: [] });
    const evaluation = evaluateReadiness(
      [
        { name: 'identity-sync', status: 'pass' },
        { name: 'licences', status: 'fail', detail: '40 users unlicensed' },
        { name: 'network', status: 'pending' },
      ],
      required,
    );
    expect(evaluation).toEqual({
      ready: false,
      failing: [
        { name: 'licences', status: 'fail', detail: '40 users unlicensed', reported: true },
        { name: 'network', status: 'pending', reported: true },
        { name: 'client-versions', status: 'pending', reported: false },
      ],
    });
    expect(readinessReason(evaluation)).toBe(
      'not ready: licences failing (40 users unlicensed), network pending, client-versions pending (not reported)',
    );
    expect(readinessReason(evaluateReadiness(all, required))).toBe('ready');
  });

  test('checks not required do not matter; with none required everyone is ready', () => {
    expect(
      evaluateReadiness([{ name: 'network', status: 'fail' }], ['licences']).failing.map((f) => f.name),
    ).toEqual(['licences']);
    expect(evaluateReadiness([{ name: 'network', status: 'fail' }], []).ready).toBe(true);
  });

  test('the report body: known names only (required or built in), each once, by field', () => {
    const report = { checks: [{ name: 'licences', status: 'fail', detail: 'x', evidence: 'ticket 42' }] };
    expect(parseReadinessReport(report, required)).toEqual(report);
    expect(
      parseReadinessReport({ checks: [{ name: 'mdm-enrolled', status: 'pass' }] }, ['mdm-enrolled']),
    ).toEqual({
      checks: [{ name: 'mdm-enrolled', status: 'pass' }],
    });
    expect(
      fieldsOf({
        checks: [
          { name: 'licences', status: 'pass' },
          { name: 'dns', status: 'pass' },
        ],
      }),
    ).toEqual(['checks.1.name']);
    expect(fieldsOf({ checks: [{ name: 'licences', status: 'ok' }] })).toEqual(['checks.0.status']);
    expect(
      fieldsOf({
        checks: [
          { name: 'licences', status: 'pass' },
          { name: 'licences', status: 'fail' },
        ],
      }),
    ).toEqual(['checks.1.name']);
    expect(fieldsOf({ checks: [] })).toEqual(['checks']);
    expect(fieldsOf({ checks: [{ name: 'network', status: 'pass', by: 'me' }] })).toEqual(['checks.0.by']);
    expect(fieldsOf({})).toEqual(['checks']);
  });

  test('property: ready exactly when every required check is reported as pass', () => {
    const arbCheck = fc.record({
      name: fc.constantFrom(...builtInChecks),
      status: fc.constantFrom('pass' as const, 'fail' as const, 'pending' as const),
    });
    fc.assert(
      fc.property(
        fc.array(arbCheck, { maxLength: 8 }),
        fc.subarray([...builtInChecks]),
        (reported, requiredChecks) => {
          const lastByName = new Map(reported.map((c) => [c.name, c.status]));
          const evaluation = evaluateReadiness(reported, requiredChecks);
          expect(evaluation.ready).toBe(requiredChecks.every((name) => lastByName.get(name) === 'pass'));
          expect(evaluation.failing.map((f) => f.name)).toEqual(
            requiredChecks.filter((name) => lastByName.get(name) !== 'pass'),
          );
        },
      ),
    );
  });
});
