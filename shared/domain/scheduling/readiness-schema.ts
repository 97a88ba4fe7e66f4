/**
 * The body of `PUT /api/orgs/{orgId}/readiness`: `{checks:[{name, status, detail?, evidence?}]}`.
 * A name neither in the calendar's `requiredChecks` nor in the built-in catalogue is refused by field
 * (`checks.2.name`), and so is a name reported twice in one body.
 */
import { z } from 'zod';
import { parseOrThrow } from '../requests';
import { alwaysCheck } from './calendar-schema';
import { checkNameSchema, checkStatuses, knownCheckNames, type ReadinessCheck } from './readiness';

/** Most checks one report may carry: far more than any calendar requires, few enough to bound the body. */
export const maxChecksPerReport = 50;

export interface ReadinessReport {
  checks: ReadinessCheck[];
}

/** The report schema for a calendar with these required checks (none when there is no calendar). */
export function readinessReportSchema(requiredChecks: readonly string[]): z.ZodType<ReadinessReport> {
  const known = new Set(knownCheckNames(requiredChecks));
  const checkSchema = z.strictObject({
    name: checkNameSchema.refine((name) => known.has(name), {
      message: `not a known check: expected one of ${[...known].join(', ')}`,
    }),
    status: z.enum(checkStatuses),
    detail: z.string().max(1000).optional(),
    evidence: z.string().max(2000).optional(),
  });
  return z
    .strictObject({ checks: z.array(checkSchema).min(1).max(maxChecksPerReport) })
    .superRefine((report, ctx) => {
      const firstIndex = new Map<string, number>();
      // Refinements also run on bodies with other problems: look only at well-formed names.
      (Array.isArray(report.checks) ? report.checks : []).forEach((check, index) => {
        if (typeof check?.name !== 'string') return;
        const earlier = firstIndex.get(check.name);
        if (earlier === undefined) firstIndex.set(check.name, index);
        else {
          ctx.addIssue({
            code: 'custom',
            path: ['checks', index, 'name'],
            message: `"${check.name}" is already reported as checks.${earlier}`,
          });
        }
      });
    }, alwaysCheck);
}

/**
 * Parses a readiness report against the calendar's required checks.
 * @throws TriageError `validation` naming each bad field (`checks.1.name`, `checks.0.status`).
 */
export function parseReadinessReport(body: unknown, requiredChecks: readonly string[]): ReadinessReport {
  return parseOrThrow(readinessReportSchema(requiredChecks), body, 'readiness report');
}
