import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getApp } from './runtime';

/**
 * Every second: scheduled capacity changes take effect within a second of their time, bounded-wait
 * promotions re-dispatch, admissions that lost their message are re-sent. Cheap when nothing is due (one
 * small partition read and a point read per pool).
 */
export async function tickPoolsHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await (await getApp()).tickPools();
  if (report.dispatched.length > 0 || report.repaired > 0) {
    context.log(`pools: dispatched ${report.dispatched.join(', ') || 'none'}; repaired ${report.repaired}`);
  }
}

app.timer('tick-pools', { schedule: '* * * * * *', handler: tickPoolsHandler });
