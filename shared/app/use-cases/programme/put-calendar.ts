import { isTriageError, TriageError } from '../../../domain/errors';
import type { MigrationCalendar } from '../../../domain/scheduling/calendar';
import { parseCalendar } from '../../../domain/scheduling/calendar-schema';
import type { Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { replanProgramme } from '../../effects/programme-plan';
import { retryOnConflict } from '../../effects/retry-on-conflict';

/**
 * PUT /api/calendar — the programme's capacity calendar: caps by day type in its time zone, holidays and
 * blackouts, the per-organisation daily maximum, reserved shares, required readiness checks. From then on
 * migrations are planned onto its days; a change re-plans at once. A refused calendar changes nothing.
 * Admins only (the route's role); audited.
 * @throws TriageError `validation` naming each bad field.
 */
export async function putCalendar(
  ctx: AppContext,
  caller: Principal,
  body: unknown,
): Promise<{ calendar: MigrationCalendar; created: boolean }> {
  const calendar = parseCalendar(body, ctx.tiers.names);
  const created = await retryOnConflict(
    async () => {
      const state = await ctx.ports.programme.getState();
      try {
        await ctx.ports.programme.putState(
          state
            ? { ...state, calendar, planVersion: state.planVersion + 1 }
            : { calendar, planVersion: 1, plannedVersion: 0, planLeaseUntilMs: 0, lastWaveDate: null },
        );
      } catch (err: unknown) {
        // Two first calendars at once: the loser retries as an update.
        if (isTriageError(err, 'conflict'))
          throw new TriageError('concurrency', 'the programme was created meanwhile');
        throw err;
      }
      return state === null;
    },
    { what: 'the programme calendar' },
  );
  await replanProgramme(ctx).catch(() => undefined);
  await recordAudit(ctx, caller, 'calendar:write', {
    detail: created ? 'calendar created' : 'calendar changed',
  });
  return { calendar, created };
}
