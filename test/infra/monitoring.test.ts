/**
 * The operator's view follows the topology and the app: alerts cover every topic and the tier-1 Functions,
 * and the workbook (as the Bicep serialises it) knows every work Function's tier and shows the four views.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import topologyDocument from '../../infra/topology.json';
import { parseTopology, tierFunctionName, tierNamesByRank, workTopics } from '../../shared/domain/topology';
import { schedulerMetricNames } from '../../shared/domain/scheduler-status';
import { Unresolved, type Value } from './bicep';
import { infraDirectory, readDeployment, type Deployment } from './deployment';

const topology = parseTopology(topologyDocument);
let deployment: Deployment;

beforeAll(async () => {
  deployment = await readDeployment();
});

function record(value: Value | undefined): Record<string, Value> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Unresolved) {
    throw new TypeError(`expected an object, got ${String(value)}`);
  }
  return value as Record<string, Value>;
}

/** The entity names a metric alert's criteria filter on (EntityName dimension). */
function alertEntities(body: Record<string, Value>): string[] {
  const criteria = record(record(body['properties'])['criteria']);
  return (criteria['allOf'] as Value[]).flatMap((criterion) =>
    (record(criterion)['dimensions'] as Value[]).flatMap((d) => record(d)['values'] as string[]),
  );
}

describe('alerts', () => {
  test('a dead-letter alert on every topic', () => {
    const alerts = deployment.main.module('alerts').resourceInstances('deadLetterAlerts');
    expect(alerts.flatMap((a) => alertEntities(a.body)).sort()).toEqual(
      topology.topics.map((t) => t.name).sort(),
    );
    for (const alert of alerts) {
      const criterion = record((record(record(alert.body['properties'])['criteria'])['allOf'] as Value[])[0]);
      expect(criterion['metricName']).toBe('DeadletteredMessages');
      expect(criterion['threshold']).toBe(0);
    }
  });

  test('a backlog alert on every work topic', () => {
    const alerts = deployment.main.module('alerts').resourceInstances('backlogAlerts');
    expect(alerts.flatMap((a) => alertEntities(a.body)).sort()).toEqual(
      workTopics(topology)
        .map((t) => t.name)
        .sort(),
    );
  });

  test('the tier-1 wait alert queries exactly the tier-1 Functions', () => {
    const [alert] = deployment.main.module('alerts').resourceInstances('tier1WaitAlert');
    const criterion = record((record(record(alert!.body['properties'])['criteria'])['allOf'] as Value[])[0]);
    const query = String(criterion['query']);
    const tier1 = tierNamesByRank(topology)[0]!;
    const expected = workTopics(topology).map((topic) => `'${tierFunctionName(topic, tier1)}'`);
    expect(query).toContain(`operation_Name in (${expected.join(', ')})`);
    expect(query).toContain('EnqueuedTimeUtc');
    expect(query).not.toContain('__FUNCTIONS__');
  });

  test('the tier-1 claim-wait alert reads the oldest-wait metric of exactly the tier-1 tiers', () => {
    const [alert] = deployment.main.module('alerts').resourceInstances('tier1ClaimWaitAlert');
    const properties = record(alert!.body['properties']);
    const criterion = record((record(properties['criteria'])['allOf'] as Value[])[0]);
    const query = String(criterion['query']);
    expect(query).toContain('customMetrics');
    expect(query).toContain(`name == "${'triage.oldest_wait_seconds'}"`);
    expect(query).toContain(`tier in ('${tierNamesByRank(topology)[0]}')`);
    expect(query).not.toContain('__TIERS__');
    expect(criterion['metricMeasureColumn']).toBe('oldestWaitInSeconds');
    expect(criterion['threshold']).toBe(900);
    expect(properties['severity']).toBe(1);
  });
});

describe('workbook', () => {
  test('a Scheduler section charts every metric the app emits, per tier', () => {
    const [workbook] = deployment.main.module('workbook').resourceInstances('workbook');
    const parsed = JSON.parse(String(record(workbook!.body['properties'])['serializedData'])) as {
      items: { name: string; content: { query?: string; json?: string } }[];
    };
    const scheduler = parsed.items.filter((i) => i.name.startsWith('scheduler-'));
    expect(scheduler[0]!.content.json).toMatch(/^### Scheduler/);
    const charted = scheduler.flatMap((i) => /name == "([^"]+)"/.exec(i.content.query ?? '')?.[1] ?? []);
    expect(charted.sort()).toEqual([...schedulerMetricNames].sort());
    for (const item of scheduler.slice(1)) {
      expect(item.content.query).toMatch(/^customMetrics\n/);
      expect(item.content.query).toContain('by tier, bin(timestamp, 5m)');
    }
  });

  test('workbook.json is a workbook with backlog, throughput, latency and failures views', () => {
    const template = JSON.parse(
      readFileSync(path.join(infraDirectory, 'modules', 'workbook.json'), 'utf8'),
    ) as {
      version: string;
      items: { name: string }[];
    };
    expect(template.version).toBe('Notebook/1.0');
    expect(template.items.map((i) => i.name)).toEqual(
      expect.arrayContaining([
        'backlog-per-topic',
        'backlog-per-tier',
        'throughput-per-tier',
        'latency-per-tier',
        'failures-per-tier',
      ]),
    );
  });

  test('the deployed workbook maps every work Function to its topic and tier, with no placeholder left', () => {
    const [workbook] = deployment.main.module('workbook').resourceInstances('workbook');
    const serialized = record(workbook!.body['properties'])['serializedData'];
    expect(typeof serialized).toBe('string');
    expect(serialized).not.toMatch(/__[A-Z_]+__/);
    const parsed = JSON.parse(String(serialized)) as {
      items: { name: string; content: { query?: string } }[];
    };
    // The pipeline's views map Functions to tiers; the Scheduler's read the app's metrics (tested below).
    const queries = parsed.items
      .filter((i) => !i.name.startsWith('scheduler-'))
      .map((i) => i.content.query)
      .filter((q): q is string => !!q);
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const topic of workTopics(topology)) {
      for (const tier of tierNamesByRank(topology)) {
        for (const query of queries) {
          expect(query).toContain(`'${tierFunctionName(topic, tier)}', '${topic.name}', '${tier}'`);
        }
      }
    }
  });
});
