import type { TokenCredential } from '@azure/identity';
import { AzureMonitorMetricExporter } from '@azure/monitor-opentelemetry-exporter';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricsSink } from '../app/ports/metrics';
import { schedulerMetricNames, type SchedulerMetric } from '../domain/scheduler-status';

export interface AppInsightsMetricsOptions {
  connectionString: string;
  /** With the app's managed identity when the resource takes Entra ID only (no key, no extra secret). */
  credential?: TokenCredential;
  /** Keep unsent telemetry on disk for a retry (the exporter's default); off in tests. */
  offlineStorage?: boolean;
}

/**
 * The scheduler's metrics as OpenTelemetry gauges (one per name, a `tier` attribute), exported by
 * Microsoft's Azure Monitor exporter: each lands in Application Insights' `customMetrics` with
 * `customDimensions.tier`. `record` keeps the latest values and exports at once.
 */
export class AppInsightsMetricsSink implements MetricsSink {
  private readonly latest = new Map<string, Map<string, number>>();
  private readonly reader: PeriodicExportingMetricReader;
  private readonly provider: MeterProvider;

  constructor(options: AppInsightsMetricsOptions) {
    const exporter = new AzureMonitorMetricExporter({
      connectionString: options.connectionString,
      ...(options.credential ? { credential: options.credential } : {}),
      ...(options.offlineStorage === false ? { disableOfflineStorage: true } : {}),
    });
    // The timer calls `record` once a minute and flushes; the periodic export is only a backstop.
    this.reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 300_000 });
    this.provider = new MeterProvider({ readers: [this.reader] });
    const meter = this.provider.getMeter('triage');
    for (const name of schedulerMetricNames) {
      meter
        .createObservableGauge(name, { description: `Triage scheduler: ${name} per tier` })
        .addCallback((result) => {
          for (const [tier, value] of this.latest.get(name) ?? []) result.observe(value, { tier });
        });
    }
  }

  async record(metrics: readonly SchedulerMetric[]): Promise<void> {
    for (const m of metrics) {
      const byTier = this.latest.get(m.name) ?? new Map<string, number>();
      byTier.set(m.tier, m.value);
      this.latest.set(m.name, byTier);
    }
    await this.reader.forceFlush();
  }

  async close(): Promise<void> {
    await this.provider.shutdown();
  }
}
