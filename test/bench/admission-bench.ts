/**
 * Admission and ETA figures for issue 8 on one pool with a 10,000-claim waiting line: how many arrival
 * decisions per second the domain takes, what a full dispatch costs, and how long recomputing every ETA
 * of the line takes after a capacity change (target ≤ 1 s). Pure domain code: no storage involved.
 *
 *   npm run build && node dist/test/bench/admission-bench.js     (BENCH_RUNS=5 by default)
 */
import { decideArrival, dispatch, type DispatchInput } from '../../shared/domain/scheduling/admission';
import type { CapacitySpec } from '../../shared/domain/scheduling/capacity';
import type { CapacityClaim, CapacityHolding } from '../../shared/domain/scheduling/capacity-line';
import { forecastQueue, simulateQueue } from '../../shared/domain/scheduling/eta';
import type { TierPolicy } from '../../shared/domain/scheduling/waiting-line';

export interface AdmissionBench {
  waiting: number;
  holdings: number;
  /** `decideArrival` on the 10,000-claim line, strict pool (one pass, no sorting unless it must dispatch). */
  decisionsPerSecond: number;
  /** How those decisions came out: admit / defer / full dispatch. */
  outcomes: { admit: number; defer: number; dispatch: number };
  /** Health arrivals with no health claim waiting and room left in the health reservation (the admit path). */
  headOfLineDecisionsPerSecond: number;
  headOfLineOutcomes: { admit: number; defer: number; dispatch: number };
  /** One full `dispatch` of the 10,000-claim line (a release, a preempting arrival), strict. */
  dispatchMs: number;
  /** `decideArrival` on the same line when the pool backfills (always a full dispatch). */
  backfillDecisionsPerSecond: number;
  /** A capacity raise: `dispatch` then `simulateQueue` over every claim of the line, strict. */
  etaRecomputeMs: number;
  /** The same with `policy: 'backfill'`. */
  backfillEtaRecomputeMs: number;
  /** `simulateQueue` alone on the dispatched 10,000-claim line, strict. */
  simulateOnlyMs: number;
}

const day = 86_400_000;
const tiers: TierPolicy[] = [
  { name: 'health', rank: 1 },
  { name: 'government', rank: 2 },
  { name: 'remote-work', rank: 3 },
  { name: 'standard', rank: 4 },
];

/** A deterministic pseudo-random sequence (mulberry32), so every run measures the same line. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tierShares: [string, number][] = [
  ['health', 0.1],
  ['government', 0.2],
  ['remote-work', 0.3],
  ['standard', 0.4],
];

function pickTier(r: number): string {
  let sum = 0;
  for (const [tier, share] of tierShares) if (r < (sum += share)) return tier;
  return 'standard';
}

/** A crisis-sized pool: 10,000 cores, nearly all held; a 10,000-claim line from 2,500 organisations. */
export function crisisLine(options: { waiting?: number; holdings?: number; seed?: number } = {}) {
  const rnd = random(options.seed ?? 8);
  const nowMs = Date.UTC(2026, 2, 1);
  const claimOf = (id: string): CapacityClaim => {
    const claim: CapacityClaim = {
      id,
      orgId: `org-${Math.floor(rnd() * 2500)}`,
      tier: pickTier(rnd()),
      arrivedAtMs: nowMs - Math.floor(rnd() * 14 * day),
      quantity: 1 + Math.floor(rnd() * 8),
    };
    if (rnd() < 0.5) claim.holdUntilMs = nowMs + Math.floor(rnd() * 60 * day);
    return claim;
  };
  const holdings: CapacityHolding[] = Array.from({ length: options.holdings ?? 2200 }, (_, i) => ({
    ...claimOf(`held-${i}`),
    started: rnd() < 0.7,
  }));
  const waiting = Array.from({ length: options.waiting ?? 10_000 }, (_, i) => claimOf(`wait-${i}`));
  const spec: CapacitySpec = {
    label: 'pool vm@uksouth',
    capacity: 10_000,
    reserved: { health: 2000, government: 500 },
    policy: 'strict',
    schedule: [1, 7, 21].map((d) => ({ atMs: nowMs + d * day, capacity: 10_000 + 500 * d })),
  };
  // Settle the line first, as the app would have: what fits or can preempt is admitted.
  const settled = dispatch({ spec, tiers, holdings, waiting, nowMs });
  return { input: { spec, tiers, holdings: settled.holdings, waiting: settled.waiting, nowMs }, claimOf };
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

/** One run of every figure. */
export async function benchAdmission(
  options: { waiting?: number; decisions?: number } = {},
): Promise<AdmissionBench> {
  const { input, claimOf } = crisisLine({ waiting: options.waiting });
  const arrivals = Array.from({ length: options.decisions ?? 2000 }, (_, i) => ({
    ...claimOf(`new-${i}`),
    arrivedAtMs: input.nowMs,
  }));
  const outcomes = { admit: 0, defer: 0, dispatch: 0 };
  const decideMs = time(() => {
    for (const arriving of arrivals) outcomes[decideArrival(input, arriving).kind]++;
  });
  // Health gives some capacity back: it returns to the health reservation, which no lower tier may take.
  const givenBack = new Set(input.holdings.filter((h) => h.tier === 'health').slice(0, 100));
  const head: DispatchInput = {
    ...input,
    holdings: input.holdings.filter((h) => !givenBack.has(h)),
    waiting: input.waiting.filter((c) => c.tier !== 'health'),
  };
  const healthArrivals = arrivals.map((a) => ({ ...a, tier: 'health' }));
  const headOfLineOutcomes = { admit: 0, defer: 0, dispatch: 0 };
  const headMs = time(() => {
    for (const arriving of healthArrivals) headOfLineOutcomes[decideArrival(head, arriving).kind]++;
  });
  const dispatchMs = time(() => dispatch(input));
  const backfill: DispatchInput = { ...input, spec: { ...input.spec, policy: 'backfill' } };
  const backfillArrivals = arrivals.slice(0, 50);
  const backfillDecideMs = time(() => {
    for (const arriving of backfillArrivals) decideArrival(backfill, arriving);
  });
  const raise = (base: DispatchInput): DispatchInput => ({
    ...base,
    spec: { ...base.spec, capacity: base.spec.capacity + 500 },
  });
  const etaRecomputeMs = time(() => forecastQueue(raise(input)));
  const backfillSettled = dispatch(backfill);
  const backfillEtaRecomputeMs = time(() =>
    forecastQueue(
      raise({ ...backfill, holdings: backfillSettled.holdings, waiting: backfillSettled.waiting }),
    ),
  );
  const simulateOnlyMs = time(() => simulateQueue(input));
  return {
    waiting: input.waiting.length,
    holdings: input.holdings.length,
    decisionsPerSecond: (arrivals.length / decideMs) * 1000,
    outcomes,
    headOfLineDecisionsPerSecond: (healthArrivals.length / headMs) * 1000,
    headOfLineOutcomes,
    dispatchMs,
    backfillDecisionsPerSecond: (backfillArrivals.length / backfillDecideMs) * 1000,
    etaRecomputeMs,
    backfillEtaRecomputeMs,
    simulateOnlyMs,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
  const results: AdmissionBench[] = [];
  for (let i = 1; i <= runs; i++) {
    const result = await benchAdmission();
    results.push(result);
    console.log(
      `  run ${i}/${runs}: ${result.decisionsPerSecond.toFixed(0)} decisions/s, ETA recompute ${result.etaRecomputeMs.toFixed(0)} ms (backfill ${result.backfillEtaRecomputeMs.toFixed(0)} ms)`,
    );
  }
  const m = (pick: (r: AdmissionBench) => number) => median(results.map(pick));
  const first = results[0]!;
  console.log(`\nOne pool, ${first.waiting} waiting, ${first.holdings} holdings; medians of ${runs} runs`);
  console.log(
    `  arrival decisions (strict):       ${m((r) => r.decisionsPerSecond).toFixed(0)} /s  (admit ${first.outcomes.admit}, defer ${first.outcomes.defer}, full dispatch ${first.outcomes.dispatch})`,
  );
  const head = first.headOfLineOutcomes;
  console.log(
    `  arrival decisions (strict, health at the head of the line): ${m((r) => r.headOfLineDecisionsPerSecond).toFixed(0)} /s  (admit ${head.admit}, defer ${head.defer}, full dispatch ${head.dispatch})`,
  );
  console.log(`  one full dispatch (strict):       ${m((r) => r.dispatchMs).toFixed(0)} ms`);
  console.log(`  arrival decisions (backfill):     ${m((r) => r.backfillDecisionsPerSecond).toFixed(1)} /s`);
  const target = (ms: number) => (ms <= 1000 ? 'met' : 'NOT MET');
  const eta = m((r) => r.etaRecomputeMs);
  const etaBackfill = m((r) => r.backfillEtaRecomputeMs);
  console.log(
    `  capacity raise → every ETA (strict):   ${eta.toFixed(0)} ms  (target ≤ 1,000 ms: ${target(eta)})`,
  );
  console.log(
    `  capacity raise → every ETA (backfill): ${etaBackfill.toFixed(0)} ms  (target ≤ 1,000 ms: ${target(etaBackfill)})`,
  );
  console.log(`  simulateQueue alone (strict):          ${m((r) => r.simulateOnlyMs).toFixed(0)} ms`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
