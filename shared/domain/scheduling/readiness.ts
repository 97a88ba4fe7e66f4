/**
 * Readiness gates migrations (SCHEDULING.md rule 7): an organisation is ready when every required
 * prerequisite check passes. A required check it never reported counts as pending: silence is not a pass.
 */
import { z } from 'zod';

/** The checks Triage knows without being told (a calendar's `requiredChecks` may add others). */
export const builtInChecks = ['identity-sync', 'licences', 'network', 'client-versions'] as const;

export const checkStatuses = ['pass', 'fail', 'pending'] as const;
export type CheckStatus = (typeof checkStatuses)[number];

/** Check names end up in reasons, CSV columns and Table properties: a conservative alphabet. */
export const checkNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-", starting with a letter or digit');

/** One check as a local IT admin reports it. */
export interface ReadinessCheck {
  name: string;
  status: CheckStatus;
  detail?: string;
  evidence?: string;
}

/** A required check that does not pass. `reported: false` means the organisation never reported it. */
export interface FailingCheck {
  name: string;
  status: Exclude<CheckStatus, 'pass'>;
  detail?: string;
  reported: boolean;
}

export interface ReadinessEvaluation {
  ready: boolean;
  /** The required checks that do not pass, in the calendar's `requiredChecks` order. */
  failing: FailingCheck[];
}

/** The check names a readiness report may use: the calendar's required checks and the built-in catalogue. */
export function knownCheckNames(requiredChecks: readonly string[]): string[] {
  return [...new Set([...requiredChecks, ...builtInChecks])];
}

/**
 * Whether an organisation is ready: every required check reported and passing. Reported checks that are
 * not required do not matter; when a name is reported twice the last report counts.
 */
export function evaluateReadiness(
  reported: readonly ReadinessCheck[],
  requiredChecks: readonly string[],
): ReadinessEvaluation {
  const byName = new Map(reported.map((check) => [check.name, check]));
  const failing: FailingCheck[] = [];
  for (const name of new Set(requiredChecks)) {
    const check = byName.get(name);
    if (!check) failing.push({ name, status: 'pending', reported: false });
    else if (check.status !== 'pass') {
      failing.push({
        name,
        status: check.status,
        reported: true,
        ...(check.detail === undefined ? {} : { detail: check.detail }),
      });
    }
  }
  return { ready: failing.length === 0, failing };
}

const longestDetailInReason = 120;

/**
 * The reason in words for a deferred migration: `not ready: licences failing (40 users unlicensed),
 * network pending, client-versions pending (not reported)`; `ready` when nothing fails.
 */
export function readinessReason(evaluation: ReadinessEvaluation): string {
  if (evaluation.ready) return 'ready';
  const parts = evaluation.failing.map((check) => {
    const state = check.status === 'fail' ? 'failing' : 'pending';
    let detail = check.reported ? check.detail?.trim() : 'not reported';
    if (detail && detail.length > longestDetailInReason) {
      detail = `${detail.slice(0, longestDetailInReason - 1)}…`;
    }
    return detail ? `${check.name} ${state} (${detail})` : `${check.name} ${state}`;
  });
  return `not ready: ${parts.join(', ')}`;
}
