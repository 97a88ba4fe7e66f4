/**
 * `npm run bench`: throughput of the local stack, each figure beside a baseline or target measured or
 * stated in the same run. These machines are noisy, so every figure is the median of BENCH_RUNS runs (3).
 */
import { benchAdmission } from './admission-bench';
import { benchAzuriteTransactions } from './azurite-baseline';
import { benchPlanner } from './planner-bench';
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
  // The scheduler's pure decisions (issue 8 and 9), beside the storage baseline of the same run.
  const admissions: Array<Awaited<ReturnType<typeof benchAdmission>>> = [];
  for (let i = 1; i <= runs; i++) {
    admissions.push(await benchAdmission());
    console.log(
      `  admission on a 10,000-claim pool, run ${i}/${runs}: ${admissions.at(-1)!.decisionsPerSecond.toFixed(0)} decisions/s, ETA recompute ${admissions.at(-1)!.etaRecomputeMs.toFixed(0)} ms`,
    );
  }
  const decisions = median(admissions.map((a) => a.decisionsPerSecond));
  const etaRecompute = median(admissions.map((a) => a.etaRecomputeMs));
  const planner = await benchPlanner({ runs });
  console.log(`  planner, NHS scale: ${planner.plan.runsMs.map((v) => v.toFixed(0)).join(' / ')} ms`);

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
    [
      'Admission decisions, one pool, 10,000 waiting claims',
      `${decisions.toFixed(0)} decisions/s`,
      `${(decisions / azurite).toFixed(2)} × Azurite's entities/s`,
      '',
    ],
    [
      'Every ETA of that line after a capacity change',
      `${etaRecompute.toFixed(0)} ms`,
      '',
      `≤ 1 s: ${etaRecompute <= 1000 ? 'met' : 'NOT MET'}`,
    ],
    [
      `Plan ${planner.programme.mailboxes.toLocaleString('en-GB')} mailboxes / ${planner.programme.organisations.toLocaleString('en-GB')} organisations`,
      `${planner.plan.medianMs.toFixed(0)} ms`,
      '',
      `≤ 1 s: ${planner.plan.medianMs <= 1000 ? 'met' : 'NOT MET'}`,
    ],
    [
      'Makespan, all ready, against the capacity lower bound',
      `${planner.makespan.unconstrained.finish} vs ${planner.makespan.lowerBound}`,
      '',
      `equal: ${planner.makespan.unconstrained.equal ? 'met' : 'NOT MET'}`,
    ],
    [
      'What-if: 30 % not ready, readiness over 20 weeks',
      `${planner.readiness.readyOver20WeeksWeeks} weeks (all ready: ${planner.readiness.allReadyWeeks})`,
      `${planner.whatIf.medianMs.toFixed(0)} ms`,
      '',
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
