import type { FailingCheck, ReadinessCheck } from '../../domain/scheduling/readiness';
import type { AppContext } from '../context';

/** An organisation's readiness as the API shows it. */
export interface ReadinessView {
  orgId: string;
  ready: boolean;
  checks: ReadinessCheck[];
  failing: FailingCheck[];
  checkedAt: string | null;
  reason: string;
}

/** The checks every organisation must pass: the calendar's, or none while there is no calendar. */
export async function requiredChecks(ctx: AppContext): Promise<string[]> {
  return (await ctx.ports.programme.getState())?.calendar.requiredChecks ?? [];
}
