import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getApp } from './runtime';

/**
 * Every minute: the scheduler's per-tier metrics (waiting, deferred, oldest wait, ETA slip) to Application
 * Insights' customMetrics, where the workbook's Scheduler section and the tier-1 wait alert read them.
 * Without Application Insights (locally) they are only logged.
 */
export async function emitMetricsHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const metrics = await (await getApp()).emitSchedulerMetrics();
  const waiting = metrics.filter((m) => m.name === 'triage.waiting').map((m) => `${m.tier} ${m.value}`);
  context.log(`scheduler metrics: waiting ${waiting.join(', ')}`);
}

app.timer('emit-metrics', { schedule: '0 * * * * *', handler: emitMetricsHandler });
