import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getApp } from './runtime';

/**
 * Every five seconds: the day's wave when a new local day has begun in the calendar's time zone (with
 * TRIAGE_CLOCK_SPEED a local day may last a minute), and a re-plan when a change left the plan stale.
 */
export async function tickProgrammeHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { wave } = await (await getApp()).tickProgramme();
  if (wave)
    context.log(`programme: wave ${wave.date}: ${wave.mailboxes} mailbox(es) of ${wave.requests} request(s)`);
}

app.timer('tick-programme', { schedule: '*/5 * * * * *', handler: tickProgrammeHandler });
