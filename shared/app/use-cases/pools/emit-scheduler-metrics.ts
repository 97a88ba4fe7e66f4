import type { SchedulerMetric } from '../../../domain/scheduler-status';
import { schedulerMetrics } from '../../../domain/scheduler-status';
import type { AppContext } from '../../context';
import { getSchedulerStatus } from './scheduler-status';

/**
 * The metrics timer: the per-tier figures of the status page — waiting, deferred, oldest wait, ETA slip —
 * sent to the metrics sink (Application Insights), and returned (logged where there is no sink).
 * @throws whatever the sink throws when the metrics could not be sent.
 */
export async function emitSchedulerMetrics(ctx: AppContext): Promise<SchedulerMetric[]> {
  const metrics = schedulerMetrics((await getSchedulerStatus(ctx)).tiers);
  await ctx.ports.metrics?.record(metrics);
  return metrics;
}
