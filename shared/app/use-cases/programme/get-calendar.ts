import { TriageError } from '../../../domain/errors';
import type { MigrationCalendar } from '../../../domain/scheduling/calendar';
import type { AppContext } from '../../context';

/** GET /api/calendar. @throws TriageError `not-found` while there is none (migrations then run at once). */
export async function getCalendar(ctx: AppContext): Promise<MigrationCalendar> {
  const state = await ctx.ports.programme.getState();
  if (!state) throw new TriageError('not-found', 'no calendar: migrations run as soon as they arrive');
  return state.calendar;
}
