import type { SchedulerMetric } from '../../../../shared/domain/scheduler-status';
import { createTestApp } from '../../../support/in-memory-ports';
import { provision } from '../helpers';

describe('emitSchedulerMetrics', () => {
  test('the per-tier figures of the status page go to the metrics sink', async () => {
    const t = createTestApp();
    const sent: SchedulerMetric[][] = [];
    t.ctx.ports.metrics = { record: async (m) => void sent.push([...m]) };
    await t.app.submitRequest(provision('o1'));
    await t.app.submitRequest(provision('o2'));
    const metrics = await t.app.emitSchedulerMetrics();
    expect(sent).toEqual([metrics]);
    expect(metrics).toContainEqual({ name: 'triage.waiting', tier: 'standard', value: 2 });
    expect(metrics).toContainEqual({ name: 'triage.waiting', tier: 'health', value: 0 });
    const status = await t.app.getSchedulerStatus();
    expect(status.tiers.find((x) => x.tier === 'standard')!.requests.waiting).toBe(2);
  });
});
