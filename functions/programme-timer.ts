import { app, type InvocationContext, type Timer } from '@azure/functions';
import { settingNames } from '../shared/config';
import { getApp } from './runtime';

// With a fast clock (local demos, scenarios) a local day may pass in seconds: look every second then.
const fast = Number(process.env[settingNames.clockSpeed] ?? '1') > 1;
const schedule = fast ? '* * * * * *' : '*/10 * * * * *';

/** The day's wave, when a new local day has begun in the calendar's time zone (never held up by a re-plan). */
export async function materializeWavesHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const wave = await (await getApp()).materializeWaves();
  if (wave)
    context.log(`programme: wave ${wave.date}: ${wave.mailboxes} mailbox(es) of ${wave.requests} request(s)`);
}

/** A re-plan when a change left the plan stale and no worker is at it. */
export async function replanProgrammeHandler(_timer: Timer, _context: InvocationContext): Promise<void> {
  await (await getApp()).replanProgramme();
}

app.timer('programme-waves', { schedule, handler: materializeWavesHandler });
app.timer('programme-replan', { schedule, handler: replanProgrammeHandler });
