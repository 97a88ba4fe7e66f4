import type { SchedulerMetric } from '../../domain/scheduler-status';

/** Where the scheduler's metrics go (Application Insights in Azure). Rejects when they could not be sent. */
export interface MetricsSink {
  record(metrics: readonly SchedulerMetric[]): Promise<void>;
}
