/**
 * `npm run bench`: throughput of the local stack, each figure beside a baseline or target measured or
 * stated in the same run. These machines are noisy, so every figure is the median of BENCH_RUNS runs (3).
 * `npm run bench -- priority-flood` (or any of `sections`, several allowed) runs those sections only;
 * `inventory` (the 2.1-million-row upload and planning, about 40 minutes) runs only when named.
 */
import { benchAdmission } from './admission-bench';
import { benchAzuriteTransactions } from './azurite-baseline';
import { benchPlanner } from './planner-bench';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchBrokerThroughput } from './broker-throughput';
import { benchInventoryScale } from './inventory-scale';
import { benchHttpIntake, benchPipeline } from './pipeline-throughput';
import { comparePriorityFlood, type PriorityFloodMedians } from './priority-flood';

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

/** The sections `npm run bench -- <section> …` can run on their own (all of them without arguments). */
const sections = [
  'azurite',
  'broker',
  'pipeline',
  'intake',
  'admission',
  'planner',
  'priority-flood',
  'long-running',
  'inventory',
] as const;
type Section = (typeof sections)[number];
/** Sections too long for the default run (the 2.1-million-row inventory takes about 40 minutes): named only. */
const optIn: ReadonlySet<Section> = new Set(['inventory']);

/**
 * The sections named on the command line, in any order.
 * @throws Error naming the sections there are, for a name that is none of them.
 */
function sectionsToRun(args: readonly string[]): Set<Section> {
  const unknown = args.filter((a) => !(sections as readonly string[]).includes(a));
  if (unknown.length > 0) {
    throw new Error(`unknown bench section(s) ${unknown.join(', ')}; the sections: ${sections.join(', ')}`);
  }
  return new Set(args.length > 0 ? (args as Section[]) : sections.filter((s) => !optIn.has(s)));
}

/** How long each simulated move runs at the back-end in the long-running section (polled, never held). */
const operationMs = 10_000;

/**
 * The asynchronous request-reply path: the same migration with every move a 10-s long-running operation at
 * the (simulated) back-end, answered in progress and polled on scheduled messages, beside the zero-latency
 * run of the same section. Its overhead is what it takes beyond the operation itself.
 */
async function longRunningRows(): Promise<string[][]> {
  const elapsed = (result: { elapsedMs: number }): number => result.elapsedMs;
  const direct = await measure(`pipeline ${mailboxes}-mailbox migration, answered at once`, 'ms', async () =>
    elapsed(await benchPipeline({ mailboxes })),
  );
  const polled = await measure(
    `pipeline ${mailboxes}-mailbox migration, each move a ${operationMs / 1000}-s operation`,
    'ms',
    async () =>
      elapsed(
        await benchPipeline({
          mailboxes,
          settings: { TRIAGE_EXECUTOR_OPERATION_MS: String(operationMs) },
        }),
      ),
  );
  const overhead = polled - operationMs;
  return [
    [`Pipeline, ${mailboxes} moves answered at once`, `${(direct / 1000).toFixed(1)} s`, 'baseline', ''],
    [
      `Pipeline, ${mailboxes} moves as ${operationMs / 1000}-s long-running operations (202, polled)`,
      `${(polled / 1000).toFixed(1)} s`,
      `${(overhead / direct).toFixed(2)} × baseline beyond the ${operationMs / 1000} s`,
      `no call held: ${polled < (mailboxes / 64) * operationMs ? 'met' : 'NOT MET'} (held calls: ≥ ${(((mailboxes / 64) * operationMs) / 60_000).toFixed(0)} min at 64 slots)`,
    ],
  ];
}

/**
 * Upload and planning of the national inventory (2.1 million rows) beside one a tenth its size, one run each
 * (the large one takes about 40 minutes): time, the longest planning invocation against one lock period,
 * and peak memory above the baseline — which must not grow with the row count but for the upload's duplicate
 * check (about 12 bytes a row).
 */
async function inventoryRows(): Promise<string[][]> {
  const small = await benchInventoryScale({ rows: 210_000 });
  console.log(`  inventory, 210,000 rows: ${JSON.stringify(small)}`);
  const large = await benchInventoryScale({ rows: 2_100_000 });
  console.log(`  inventory, 2,100,000 rows: ${JSON.stringify(large)}`);
  const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
  return [
    [
      `Upload, 2,100,000-row CSV (${mib(large.csvBytes)}), one run`,
      `${large.uploadSeconds.toFixed(1)} s, peak +${large.uploadPeakMiB} MiB`,
      `210,000 rows: ${small.uploadSeconds.toFixed(1)} s, +${small.uploadPeakMiB} MiB`,
      `memory ≤ 2 GB instance: ${large.uploadPeakMiB < 2048 ? 'met' : 'NOT MET'}`,
    ],
    [
      `Planning, ${large.batches} batches in ${large.planningInvocations} invocations, one run`,
      `${large.planningSeconds.toFixed(0)} s, longest ${large.longestInvocationSeconds.toFixed(1)} s, peak +${large.planningPeakMiB} MiB`,
      `210,000 rows: longest ${small.longestInvocationSeconds.toFixed(1)} s, +${small.planningPeakMiB} MiB`,
      `each invocation < 60 s (PT1M lock): ${large.longestInvocationSeconds < 60 ? 'met' : 'NOT MET'}`,
    ],
  ];
}

async function main(): Promise<void> {
  const wanted = sectionsToRun(process.argv.slice(2));
  const once = [...wanted].filter((s) => optIn.has(s));
  console.log(
    `Triage benchmarks (${[...wanted].join(', ')}): ${runs} runs each, medians reported${once.length > 0 ? ` (${once.join(', ')}: one run)` : ''}\n`,
  );
  const rows: string[][] = [['benchmark', 'median', 'ratio', 'target']];
  let azurite: number | undefined;
  let azuriteBatched: number | undefined;
  if (wanted.has('azurite')) {
    azurite = await measure('Azurite 100-entity transactions, one partition', 'entities/s', async () => {
      return (await benchAzuriteTransactions({ entities: mailboxes })).entitiesPerSecond;
    });
    // The pipeline's items are partitioned by batch (500 by default in benchPipeline): the same shape, raw.
    azuriteBatched = await measure(
      'Azurite 100-entity transactions, 500-row partitions',
      'entities/s',
      async () => {
        return (await benchAzuriteTransactions({ entities: mailboxes, partitionSize: 500 }))
          .entitiesPerSecond;
      },
    );
    rows.push(
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
    );
  }
  if (wanted.has('broker')) {
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
    rows.push(
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
    );
  }
  if (wanted.has('pipeline')) {
    const pipeline = await measure(`pipeline ${mailboxes}-mailbox migration`, 'items/s', async () => {
      return (await benchPipeline({ mailboxes })).itemsPerSecond;
    });
    // Its target is relative to Azurite's rate, measured in the same run (with the azurite section).
    rows.push([
      `Pipeline, ${mailboxes}-mailbox migration, zero-latency executor`,
      `${pipeline.toFixed(0)} items/s`,
      azurite !== undefined && azuriteBatched !== undefined
        ? `${(pipeline / azurite).toFixed(2)} / ${(pipeline / azuriteBatched).toFixed(2)} × Azurite`
        : '',
      azurite !== undefined && azuriteBatched !== undefined
        ? `≥ 0.5 × Azurite: ${pipeline >= Math.max(azurite, azuriteBatched) / 2 ? 'met' : 'NOT MET'}`
        : '≥ 0.5 × Azurite (run with the azurite section)',
    ]);
  }
  if (wanted.has('intake')) {
    const intake = await measure('HTTP intake POST /api/requests', 'requests/s', async () => {
      return (await benchHttpIntake({ durationSeconds: 10 })).requestsPerSecond;
    });
    rows.push(['HTTP intake (validate, record, publish)', `${intake.toFixed(0)} req/s`, '', '']);
  }
  if (wanted.has('admission')) {
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
    rows.push(
      [
        'Admission decisions, one pool, 10,000 waiting claims',
        `${decisions.toFixed(0)} decisions/s`,
        azurite !== undefined ? `${(decisions / azurite).toFixed(2)} × Azurite's entities/s` : '',
        '',
      ],
      [
        'Every ETA of that line after a capacity change',
        `${etaRecompute.toFixed(0)} ms`,
        '',
        `≤ 1 s: ${etaRecompute <= 1000 ? 'met' : 'NOT MET'}`,
      ],
    );
  }
  if (wanted.has('planner')) {
    const planner = await benchPlanner({ runs });
    console.log(`  planner, NHS scale: ${planner.plan.runsMs.map((v) => v.toFixed(0)).join(' / ')} ms`);
    rows.push(
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
    );
  }
  if (wanted.has('priority-flood')) rows.push(...(await priorityFloodRows()));
  if (wanted.has('long-running')) rows.push(...(await longRunningRows()));
  if (wanted.has('inventory')) rows.push(...(await inventoryRows()));
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

/**
 * Priority under flood (issue 10): today (no execution slots) against execution slots, and slots with tier 1
 * on a host process of its own, interleaved run by run; tier-1 p50/p95 unloaded and during a 20:1 tier-4
 * flood, and the ratios against their targets.
 */
async function priorityFloodRows(): Promise<string[][]> {
  const r = await comparePriorityFlood({ runs });
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const latency = (m: PriorityFloodMedians, phase: 'unloaded' | 'loaded') =>
    phase === 'unloaded'
      ? `${ms(m.unloadedP50Ms)} / ${ms(m.unloadedP95Ms)}`
      : `${ms(m.loadedP50Ms)} / ${ms(m.loadedP95Ms)}`;
  return [
    ['Tier-1 p50 / p95, unloaded (today)', latency(r.today, 'unloaded'), 'baseline', ''],
    ['Tier-1 p50 / p95, unloaded (execution slots)', latency(r.slots, 'unloaded'), 'baseline', ''],
    [
      'Tier-1 p50 / p95, 20:1 tier-4 flood (today)',
      latency(r.today, 'loaded'),
      `${r.today.p95Ratio.toFixed(2)} × unloaded p95`,
      '',
    ],
    [
      'Tier-1 p50 / p95, 20:1 tier-4 flood (execution slots)',
      latency(r.slots, 'loaded'),
      `${r.p95Ratio.toFixed(2)} × unloaded p95`,
      `≤ 1.5: ${r.p95Ratio <= 1.5 ? 'met' : 'NOT MET'}`,
    ],
    [
      'Tier-1 p50 / p95, flood, slots + tier 1 on its own host process',
      `${latency(r.tier1Host, 'unloaded')} → ${latency(r.tier1Host, 'loaded')}`,
      `${r.tier1Host.p95Ratio.toFixed(2)} × unloaded p95`,
      `≤ 1.5: ${r.tier1Host.p95Ratio <= 1.5 ? 'met' : 'NOT MET'}`,
    ],
    [
      'Flood throughput, execution slots / today',
      `${r.slots.floodItemsPerSecond.toFixed(0)} / ${r.today.floodItemsPerSecond.toFixed(0)} items/s`,
      `${r.floodRatio.toFixed(2)} × today`,
      `≥ 0.8: ${r.floodRatio >= 0.8 ? 'met' : 'NOT MET'}`,
    ],
  ];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
