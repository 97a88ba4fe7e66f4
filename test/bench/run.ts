/**
 * `npm run bench`: throughput of the local stack, each figure beside a baseline or target measured or
 * stated in the same run. These machines are noisy, so every figure is the median of BENCH_RUNS runs (3).
 */
import { benchAzuriteTransactions } from './azurite-baseline';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchBrokerThroughput } from './broker-throughput';
import { benchHttpIntake, benchPipeline } from './pipeline-throughput';

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const mailboxes = 10_000;
const brokerTargetPerSecond = 2_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `once` `runs` times, printing each figure as it comes (progress on a long run), and returns the median. */
async function measure(label: string, unit: string, once: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const value = await once();
    values.push(value);
    console.log(`  ${label}, run ${i}/${runs}: ${value.toFixed(0)} ${unit}`);
  }
  return median(values);
}

async function main(): Promise<void> {
  console.log(`Triage benchmarks: ${runs} runs each, medians reported\n`);
  const azurite = await measure('Azurite 100-entity transactions, one partition', 'entities/s', async () => {
    return (await benchAzuriteTransactions({ entities: mailboxes })).entitiesPerSecond;
  });
  // The pipeline's items are partitioned by batch (500 by default in benchPipeline): the same shape, raw.
  const azuriteBatched = await measure(
    'Azurite 100-entity transactions, 500-row partitions',
    'entities/s',
    async () => {
      return (await benchAzuriteTransactions({ entities: mailboxes, partitionSize: 500 })).entitiesPerSecond;
    },
  );
  const broker = await measure('broker 10,000 × 1 KB send → receive → complete', 'messages/s', async () => {
    return (await benchBrokerThroughput({ messages: 10_000, sizeBytes: 1024 })).messagesPerSecond;
  });
  const brokerData = await measure(
    'broker 10,000 × 1 KB send → receive → complete, --data',
    'messages/s',
    async () => {
      const folder = mkdtempSync(path.join(os.tmpdir(), 'bench-broker-data-'));
      try {
        return (await benchBrokerThroughput({ messages: 10_000, sizeBytes: 1024, dataFolder: folder }))
          .messagesPerSecond;
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );
  const pipeline = await measure(`pipeline ${mailboxes}-mailbox migration`, 'items/s', async () => {
    return (await benchPipeline({ mailboxes })).itemsPerSecond;
  });
  const intake = await measure('HTTP intake POST /api/requests', 'requests/s', async () => {
    return (await benchHttpIntake({ durationSeconds: 10 })).requestsPerSecond;
  });

  const rows: string[][] = [
    ['benchmark', 'median', 'ratio', 'target'],
    [
      'Azurite raw 100-entity transactions, one partition',
      `${azurite.toFixed(0)} entities/s`,
      'baseline',
      '',
    ],
    [
      'Azurite raw 100-entity transactions, 500-row partitions',
      `${azuriteBatched.toFixed(0)} entities/s`,
      'baseline',
      '',
    ],
    [
      'Broker send → receive → complete, 10k × 1 KB',
      `${broker.toFixed(0)} msg/s`,
      `${(broker / brokerTargetPerSecond).toFixed(2)} × target`,
      `≥ ${brokerTargetPerSecond} msg/s: ${broker >= brokerTargetPerSecond ? 'met' : 'NOT MET'}`,
    ],
    [
      'Broker with --data (journal, group commit)',
      `${brokerData.toFixed(0)} msg/s`,
      `${(brokerData / broker).toFixed(2)} × in memory`,
      '',
    ],
    [
      `Pipeline, ${mailboxes}-mailbox migration, zero-latency executor`,
      `${pipeline.toFixed(0)} items/s`,
      `${(pipeline / azurite).toFixed(2)} / ${(pipeline / azuriteBatched).toFixed(2)} × Azurite`,
      `≥ 0.5 × Azurite: ${pipeline >= Math.max(azurite, azuriteBatched) / 2 ? 'met' : 'NOT MET'}`,
    ],
    ['HTTP intake (validate, record, publish)', `${intake.toFixed(0)} req/s`, '', ''],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
