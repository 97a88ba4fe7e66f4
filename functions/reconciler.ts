import { app, type InvocationContext, type Timer } from '@azure/functions';
import { settingNames } from '../shared/config';
import { getApp } from './runtime';

/**
 * The reconciler: on its schedule (`TRIAGE_RECONCILE_SCHEDULE`, every minute by default; the host runs one
 * at a time), every request in flight that made no progress for `TRIAGE_RECONCILE_STALE_AFTER_MS` is
 * repaired — nothing stays non-terminal for ever.
 */
export async function reconcilerHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await (await getApp()).reconcile();
  const repaired = report.repairs.filter((r) => r.action === 'republished');
  if (repaired.length > 0 || report.failures.length > 0) {
    context.warn(
      `reconciler: ${report.examined} idle, ${repaired.length} repaired (${repaired.map((r) => `${r.requestId}: ${r.detail}`).join('; ')}), ${report.failures.length} failed${report.failures.map((f) => ` ${f.requestId}: ${f.error}`).join(';')}`,
    );
  } else context.log(`reconciler: ${report.examined} idle, nothing to repair`);
}

app.timer('reconciler', {
  schedule: `%${settingNames.reconcileSchedule}%`,
  runOnStartup: false,
  handler: reconcilerHandler,
});
