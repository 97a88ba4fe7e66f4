/**
 * `npm run bench:request-index`: what the time index costs `GET /api/requests`' totals on Azurite — the first
 * count (every day stale: what a scan of every request costs), then a cached read (nothing changed), then a read
 * after one request changed in each of a few days (those days recounted), and the first page newest first.
 * Medians of BENCH_RUNS (3) runs each.
 */
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '../../local/azurite';
import { TableRequestIndex } from '../../shared/adapters/table-request-index';
import type { RequestRecord } from '../../shared/domain/records';

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const days = Number(process.env.BENCH_INDEX_DAYS ?? 10);
const perDay = Number(process.env.BENCH_INDEX_PER_DAY ?? 1000);

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
async function timed(once: () => Promise<unknown>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await once();
    values.push(performance.now() - started);
  }
  return median(values);
}

function request(day: number, i: number): RequestRecord {
  const at = new Date(Date.UTC(2026, 10, 1 + day, 8, 0, 0, i)).toISOString();
  return {
    id: `bench-${day}-${i}`,
    kind: i % 3 === 0 ? 'provision' : 'migrate',
    orgId: `org-${i % 250}`,
    tier: ['health', 'government', 'remote-work', 'standard'][i % 4]!,
    status: i % 10 === 0 ? 'failed' : 'completed',
    createdAt: at,
    updatedAt: at,
    batchesCompleted: 1,
    total: 100,
    succeeded: 95,
    failed: 5,
    retryCount: 0,
  };
}

async function main(): Promise<void> {
  const azurite = await startAzurite({ blobPort: 0 });
  try {
    const table = TableClient.fromConnectionString(azurite.connectionString, 'benchrequestsbytime', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const index = new TableRequestIndex(table);
    const started = performance.now();
    for (let day = 0; day < days; day++) {
      const rows = Array.from({ length: perDay }, (_, i) => request(day, i));
      for (let i = 0; i < rows.length; i += 16)
        await Promise.all(rows.slice(i, i + 16).map((r) => index.record(r)));
    }
    const loadSeconds = (performance.now() - started) / 1000;
    const total = days * perDay;
    console.log(
      `indexed ${total} requests over ${days} days in ${loadSeconds.toFixed(1)} s (${(total / loadSeconds).toFixed(0)} index writes/s)`,
    );
    const first = performance.now();
    await index.totals();
    const cold = performance.now() - first;
    const warm = await timed(() => index.totals());
    const changed = Math.min(3, days);
    const oneDayChanged = await timed(async () => {
      for (let day = 0; day < changed; day++) await index.record({ ...request(day, 1), status: 'running' });
      await index.totals();
    });
    const page = await timed(() => index.list({}, 50));
    console.log('| read | median ms |');
    console.log('|---|---|');
    console.log(`| totals, first count (every day stale, ${total} rows read) | ${cold.toFixed(0)} |`);
    console.log(`| totals, nothing changed (${days} cached summaries) | ${warm.toFixed(0)} |`);
    console.log(
      `| totals after one write in each of ${changed} days (those ${changed * perDay} rows recounted) | ${oneDayChanged.toFixed(0)} |`,
    );
    console.log(`| first page, newest first (50 index rows) | ${page.toFixed(0)} |`);
  } finally {
    await azurite.close();
  }
}

void main();
