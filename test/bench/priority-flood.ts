import { TableClient } from '@azure/data-tables';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts, startLocalStack, type LocalStack } from '../../local/stack';
import { tierFunctionName, tierNamesByRank, workTopics } from '../../shared/domain/topology';
import { topology } from '../../shared/topology';
import { roles } from '../../shared/domain/identity/principal';

/**
 * Priority under flood (issue 10, SCHEDULING.md "Priority under overload"): tier-1 latency over the HTTP
 * API — submit → final status, a mix of small migrations and provisionings — on an idle stack, then while
 * a 20:1 tier-4 flood (one 20,000-mailbox migration and 200 provisionings) runs, in the same stack; and the
 * flood's own throughput. The simulated executor takes 20–50 ms per item and its back-end serves a limited
 * number of calls at once (`TRIAGE_EXECUTOR_CAPACITY`), so the back-end is the scarce resource every tier
 * shares, as a real migration service is.
 *
 * Tier-1 requests arrive open-loop (one every `probeIntervalMs`, whether or not the previous one finished),
 * so a slow request does not hide the ones behind it. A request's latency runs from just before its POST to
 * the time the API reports it final (`updatedAt`), found by polling every 50 ms; the flood is watched with a
 * few polls every half second, so the bench's own reads stay small next to what it measures.
 */

/** Parsed JSON from our own API, read loosely by benchmarks. */
type Json = ReturnType<typeof JSON.parse>;

const finalStatuses = new Set(['completed', 'completed-with-errors', 'failed', 'cancelled']);

export interface PriorityFloodOptions {
  /** Settings of the stack under test (execution slots, …), over the bench's own. */
  settings?: Record<string, string>;
  floodMailboxes?: number;
  floodProvisionings?: number;
  /** Tier-1 requests per phase (alternating migrations and provisionings). */
  probes?: number;
  probeMailboxes?: number;
  /** Open-loop arrival interval of the tier-1 requests. */
  probeIntervalMs?: number;
  /** Simulated executor latency per item. */
  latencyMs?: { min: number; max: number };
  /** Calls the simulated back-end serves at once (0: unlimited). */
  backendCapacity?: number;
  /** Also sample the host's event-loop delay and Azurite's point-read latency during each phase. */
  diagnose?: boolean;
  /**
   * Tier 1's work Functions in a host process of their own (the rest disabled there, and these disabled in
   * the stack's host), as Flex Consumption's per-function scaling gives each Function its own instances.
   * Only meaningful with execution slots: the simulated back-end's capacity is per process, the slots
   * ledger is what keeps both hosts within one back-end's.
   */
  tier1Host?: boolean;
  log?: (line: string) => void;
}

/** Where the time goes, per phase (with `diagnose`). */
export interface Diagnostics {
  /** The host's event-loop delay, medians of the per-second p99 and max. */
  hostLoopDelayMs: { p99: number; max: number };
  /** A point read on Azurite from outside the host, every 100 ms. */
  storageReadMs: { p50: number; p95: number };
}

export interface LatencyFigures {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /**
   * Medians of where the time went, from each request's history (host clock): submit → queued → running →
   * final; `observed` is how much later the bench's poll (every 50 ms) saw it — not part of the latency.
   */
  phasesMs: { intake: number; waitForFunction: number; execution: number; observed: number };
  byKind: Record<'migrate' | 'provision', { p50Ms: number; p95Ms: number }>;
}

/** CPU time of each process of the stack during a phase, as a share of one core. */
export type CpuShares = Record<'host' | 'azurite' | 'broker' | 'bench', number>;

export interface PriorityFloodResult {
  unloaded: LatencyFigures;
  loaded: LatencyFigures;
  /** loaded p95 / unloaded p95 (target ≤ 1.5). */
  p95Ratio: number;
  flood: {
    items: number;
    elapsedMs: number;
    itemsPerSecond: number;
    /** Whether the flood was still running when the last tier-1 request finished (else the figure flatters). */
    coveredProbes: boolean;
  };
  cpu: { unloaded: CpuShares; loaded: CpuShares };
  diagnostics?: { unloaded: Diagnostics; loaded: Diagnostics };
}

/** The API under test and the bearer token the bench calls it with (auth on, as deployed). */
interface Api {
  base: string;
  headers: Record<string, string>;
}

async function json(
  api: Api,
  route: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${api.base}${route}`, {
    ...init,
    headers: { ...api.headers, ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function post(api: Api, body: unknown): Promise<string> {
  const r = await json(api, `/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 202) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const median = (values: readonly number[]): number => percentile(values, 50);

/** CPU seconds (user + system) of a process so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted after the command name; USER_HZ is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function cpuMeter(stack: LocalStack): () => () => CpuShares {
  const pids = {
    host: stack.host.process.pid,
    azurite: stack.azurite.process.pid,
    broker: stack.broker.process.pid,
    bench: process.pid,
  };
  const read = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return () => {
    const before = read();
    const started = performance.now();
    return () => {
      const after = read();
      const seconds = (performance.now() - started) / 1000;
      return Object.fromEntries(
        Object.keys(pids).map((k) => [k, (after[k]! - before[k]!) / seconds]),
      ) as CpuShares;
    };
  };
}

/** Point reads on Azurite's requests table every 100 ms, from the bench process (outside the host). */
class StorageProbe {
  private readonly client: TableClient;
  private running: Promise<number[]> | undefined;
  private active = false;

  constructor(stack: LocalStack) {
    this.client = TableClient.fromConnectionString(stack.storageConnectionString, 'requests', {
      allowInsecureConnection: true,
    });
  }

  start(): void {
    this.active = true;
    this.running = (async () => {
      const samples: number[] = [];
      while (this.active) {
        const started = performance.now();
        try {
          await this.client.getEntity('no-such-request', 'request');
        } catch {
          // 404 is the expected answer: the round trip is what is measured.
        }
        samples.push(performance.now() - started);
        await sleep(100);
      }
      return samples;
    })();
  }

  async stop(): Promise<number[]> {
    this.active = false;
    return (await this.running) ?? [];
  }
}

function diagnosticsOf(
  loopDelays: ReadonlyArray<{ at: number; p99: number; max: number }>,
  from: number,
  storageSamples: number[],
): Diagnostics {
  const during = loopDelays.filter((d) => d.at >= from);
  return {
    hostLoopDelayMs: { p99: median(during.map((d) => d.p99)), max: median(during.map((d) => d.max)) },
    storageReadMs: { p50: percentile(storageSamples, 50), p95: percentile(storageSamples, 95) },
  };
}

interface Probe {
  id: string;
  kind: 'migrate' | 'provision';
  submittedAt: number;
  acceptedAt: number;
  /** When the request became final, as the API reports it. */
  finishedAt: number;
  /** When the bench's poll saw it final. */
  seenAt: number;
  view: Json;
}

/**
 * Polls one request until it is final. `at` is when the API says it became final (its `updatedAt`, recorded
 * by the host on this machine's clock), so the polling interval does not blur the latency; `seenAt` is when
 * the poll saw it.
 */
async function untilFinal(
  api: Api,
  id: string,
  deadline: number,
  intervalMs: number,
): Promise<{ at: number; seenAt: number; view: Json }> {
  for (;;) {
    const r = await json(api, `/requests/${id}`);
    if (finalStatuses.has(r.body?.status)) {
      return { at: Date.parse(r.body.updatedAt as string), seenAt: Date.now(), view: r.body };
    }
    if (Date.now() > deadline) throw new Error(`request ${id} not final: ${JSON.stringify(r.body)}`);
    await sleep(intervalMs);
  }
}

/**
 * Waits for many requests (the flood) with little load: a few polls at a time, every half second — the
 * bench must not become a flood of its own on the host it measures.
 */
async function untilAllFinal(
  api: Api,
  ids: readonly string[],
  deadline: number,
): Promise<Array<{ at: number; view: Json }>> {
  const done = new Map<string, { at: number; view: Json }>();
  while (done.size < ids.length) {
    const pending = ids.filter((id) => !done.has(id));
    for (let i = 0; i < pending.length; i += 4) {
      await Promise.all(
        pending.slice(i, i + 4).map(async (id) => {
          const r = await json(api, `/requests/${id}`);
          if (finalStatuses.has(r.body?.status))
            done.set(id, { at: Date.parse(r.body.updatedAt), view: r.body });
        }),
      );
    }
    if (done.size === ids.length) break;
    if (Date.now() > deadline) throw new Error(`${ids.length - done.size} flood request(s) not final`);
    await sleep(500);
  }
  return ids.map((id) => done.get(id)!);
}

function mailboxList(count: number, prefix: string): Array<{ address: string; sizeBytes: number }> {
  return Array.from({ length: count }, (_, i) => ({
    address: `${prefix}${i}@bench.example`,
    sizeBytes: 1024,
  }));
}

/** The tier-1 requests of one phase, open-loop; each one's latency and history. */
async function runProbes(api: Api, phase: string, options: Required<PriorityFloodOptions>): Promise<Probe[]> {
  const deadline = Date.now() + 300_000;
  const start = Date.now();
  return Promise.all(
    Array.from({ length: options.probes }, async (_, i) => {
      await sleep(start + i * options.probeIntervalMs - Date.now());
      const kind = i % 2 === 0 ? ('migrate' as const) : ('provision' as const);
      const submittedAt = Date.now();
      const id = await post(
        api,
        kind === 'migrate'
          ? { kind, orgId: 'health-org', mailboxes: mailboxList(options.probeMailboxes, `${phase}-${i}-`) }
          : { kind, orgId: 'health-org', resource: { type: 'vm', quantity: 1, region: 'uksouth' } },
      );
      const acceptedAt = Date.now();
      const { at, seenAt, view } = await untilFinal(api, id, deadline, 50);
      if (view.status !== 'completed') throw new Error(`tier-1 request ${id} ended ${view.status}`);
      return { id, kind, submittedAt, acceptedAt, finishedAt: at, seenAt, view };
    }),
  );
}

async function figures(api: Api, probes: Probe[]): Promise<LatencyFigures> {
  const latency = (p: Probe) => p.finishedAt - p.submittedAt;
  const phases = { intake: [] as number[], waitForFunction: [] as number[], execution: [] as number[] };
  const observed: number[] = [];
  for (const p of probes) {
    const history = (await json(api, `/requests/${p.id}`)).body.history as Array<{
      at: string;
      status?: string;
    }>;
    const at = (status: string) => {
      const event = history.find((e) => e.status === status);
      return event ? Date.parse(event.at) : NaN;
    };
    const queued = at('queued');
    const running = at('running');
    const final = at('completed');
    phases.intake.push(queued - p.submittedAt);
    phases.waitForFunction.push(running - queued);
    phases.execution.push(final - running);
    observed.push(p.seenAt - final);
  }
  const byKind = (kind: Probe['kind']) => {
    const values = probes.filter((p) => p.kind === kind).map(latency);
    return { p50Ms: percentile(values, 50), p95Ms: percentile(values, 95) };
  };
  const all = probes.map(latency);
  return {
    samples: probes.length,
    p50Ms: percentile(all, 50),
    p95Ms: percentile(all, 95),
    maxMs: Math.max(...all),
    phasesMs: {
      intake: median(phases.intake),
      waitForFunction: median(phases.waitForFunction),
      execution: median(phases.execution),
      observed: median(observed),
    },
    byKind: { migrate: byKind('migrate'), provision: byKind('provision') },
  };
}

/**
 * One stack: tier-1 latency unloaded, then the flood with tier-1 requests during it, then the flood's throughput.
 * @throws Error when a request fails or does not finish within its deadline.
 */
export async function benchPriorityFlood(options: PriorityFloodOptions = {}): Promise<PriorityFloodResult> {
  const o: Required<PriorityFloodOptions> = {
    settings: {},
    floodMailboxes: 20_000,
    floodProvisionings: 200,
    probes: 24,
    probeMailboxes: 50,
    probeIntervalMs: 250,
    latencyMs: { min: 20, max: 50 },
    backendCapacity: 64,
    diagnose: false,
    tier1Host: false,
    log: () => undefined,
    ...options,
  };
  const tier1 = tierNamesByRank(topology)[0]!;
  const tier1Functions = workTopics(topology).map((topic) => tierFunctionName(topic, tier1));
  const disabledHere = o.tier1Host
    ? Object.fromEntries(tier1Functions.map((name) => [`AzureWebJobs.${name}.Disabled`, 'true']))
    : {};
  const loopDelays: Array<{ at: number; p99: number; max: number }> = [];
  const stack = await startLocalStack({
    ...freePorts,
    startTimeoutInMs: 60_000,
    settings: {
      TRIAGE_EXECUTOR_LATENCY_MIN_MS: String(o.latencyMs.min),
      TRIAGE_EXECUTOR_LATENCY_MAX_MS: String(o.latencyMs.max),
      TRIAGE_EXECUTOR_CAPACITY: String(o.backendCapacity),
      ...(o.diagnose ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'loop-monitor.js')}` } : {}),
      ...o.settings,
      ...disabledHere,
    },
    log: (line) => {
      const m = /\[loop-delay\] p50=[\d.]+ p99=([\d.]+) max=([\d.]+)/.exec(line);
      if (m) loopDelays.push({ at: Date.now(), p99: Number(m[1]), max: Number(m[2]) });
      o.log(line);
    },
  });
  const storage = new StorageProbe(stack);
  // Tier 1 on a host of its own (stopped with the stack): only its work Functions, none of them disabled there.
  if (o.tier1Host) {
    await stack.startExtraHost({
      ...Object.fromEntries(Object.keys(disabledHere).map((name) => [name, undefined])),
      NODE_OPTIONS: undefined,
      ...Object.fromEntries(
        tier1Functions.map((name, i) => [`AzureFunctionsJobHost__functions__${i}`, name]),
      ),
    });
  }
  try {
    // One caller for the whole bench: it registers the organisation, submits for every organisation and reads.
    const floodShops = Array.from({ length: 20 }, (_, i) => `flood-shop-${i}`);
    const token = await stack.tokenIssuer?.mint({
      roles: [roles.admin, roles.requester, roles.operator],
      orgs: ['health-org', 'flood-org', ...floodShops],
      ttlInSeconds: 3600,
    });
    const api: Api = {
      base: `${stack.hostUrl}/api`,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    };
    const org = await json(api, `/orgs/health-org`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench Health', sector: 'health', tier: 'health', evidence: 'bench' }),
    });
    if (org.status !== 200) throw new Error(`PUT org: ${org.status} ${JSON.stringify(org.body)}`);
    const meter = cpuMeter(stack);
    // Warm-up: the first requests pay for connections and JIT; not measured.
    await runProbes(api, 'warm', { ...o, probes: 4 });

    const stopUnloaded = meter();
    const unloadedFrom = Date.now();
    if (o.diagnose) storage.start();
    const unloadedProbes = await runProbes(api, 'idle', o);
    const unloadedCpu = stopUnloaded();
    const unloadedDiagnostics = o.diagnose
      ? diagnosticsOf(loopDelays, unloadedFrom, await storage.stop())
      : undefined;

    // The flood: unregistered organisations are tier 4 (`standard`).
    const floodStarted = Date.now();
    const floodIds = [
      await post(api, {
        kind: 'migrate',
        orgId: 'flood-org',
        mailboxes: mailboxList(o.floodMailboxes, 'flood'),
      }),
    ];
    for (let i = 0; i < o.floodProvisionings; i += 20) {
      floodIds.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(20, o.floodProvisionings - i) }, (_, k) =>
            post(api, {
              kind: 'provision',
              orgId: floodShops[(i + k) % floodShops.length]!,
              resource: { type: 'vm', quantity: 1, region: 'uksouth' },
            }),
          ),
        )),
      );
    }
    // Tier-1 work arrives once the flood's migration is executing (its batches hold the back-end).
    const migrationId = floodIds[0]!;
    for (let deadline = Date.now() + 120_000; ;) {
      const r = await json(api, `/requests/${migrationId}`);
      if ((r.body?.progress?.succeeded ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error(`flood never started: ${JSON.stringify(r.body)}`);
      await sleep(50);
    }
    const stopLoaded = meter();
    const loadedFrom = Date.now();
    if (o.diagnose) storage.start();
    const floodDone = untilAllFinal(api, floodIds, Date.now() + 900_000);
    const loadedProbes = await runProbes(api, 'flood', o);
    const loadedCpu = stopLoaded();
    const loadedDiagnostics = o.diagnose
      ? diagnosticsOf(loopDelays, loadedFrom, await storage.stop())
      : undefined;
    const probesEnded = Math.max(...loadedProbes.map((p) => p.finishedAt));
    const floodFinal = await floodDone;
    const floodEnded = Math.max(...floodFinal.map((f) => f.at));
    const items = o.floodMailboxes + o.floodProvisionings;
    const succeeded = floodFinal.reduce((sum, f) => sum + (f.view.progress?.succeeded ?? 0), 0);
    if (succeeded !== items) throw new Error(`flood succeeded ${succeeded} of ${items} items`);
    const elapsedMs = floodEnded - floodStarted;
    const unloaded = await figures(api, unloadedProbes);
    const loaded = await figures(api, loadedProbes);
    return {
      unloaded,
      loaded,
      p95Ratio: loaded.p95Ms / unloaded.p95Ms,
      flood: {
        items,
        elapsedMs,
        itemsPerSecond: (items / elapsedMs) * 1000,
        coveredProbes: floodEnded > probesEnded,
      },
      cpu: { unloaded: unloadedCpu, loaded: loadedCpu },
      ...(unloadedDiagnostics && loadedDiagnostics
        ? { diagnostics: { unloaded: unloadedDiagnostics, loaded: loadedDiagnostics } }
        : {}),
    };
  } finally {
    await stack.stop();
  }
}

export interface PriorityComparison {
  runs: number;
  /** Medians over the runs, per configuration. */
  today: PriorityFloodMedians;
  slots: PriorityFloodMedians;
  /** Execution slots with tier 1's work Functions on a host process of their own (see `tier1Host`). */
  tier1Host: PriorityFloodMedians;
  /** slots: loaded p95 / unloaded p95 (target ≤ 1.5). */
  p95Ratio: number;
  /** slots' flood throughput / today's (target ≥ 0.8). */
  floodRatio: number;
}

export interface PriorityFloodMedians {
  unloadedP50Ms: number;
  unloadedP95Ms: number;
  loadedP50Ms: number;
  loadedP95Ms: number;
  /** The median of each run's loaded p95 / unloaded p95. */
  p95Ratio: number;
  floodItemsPerSecond: number;
  loadedPhasesMs: LatencyFigures['phasesMs'];
  loadedDiagnostics?: Diagnostics;
}

function mediansOf(results: readonly PriorityFloodResult[]): PriorityFloodMedians {
  const m = (f: (r: PriorityFloodResult) => number) => median(results.map(f));
  const diagnosed = results.filter((r) => r.diagnostics);
  return {
    unloadedP50Ms: m((r) => r.unloaded.p50Ms),
    unloadedP95Ms: m((r) => r.unloaded.p95Ms),
    loadedP50Ms: m((r) => r.loaded.p50Ms),
    loadedP95Ms: m((r) => r.loaded.p95Ms),
    p95Ratio: m((r) => r.p95Ratio),
    floodItemsPerSecond: m((r) => r.flood.itemsPerSecond),
    loadedPhasesMs: {
      intake: m((r) => r.loaded.phasesMs.intake),
      waitForFunction: m((r) => r.loaded.phasesMs.waitForFunction),
      execution: m((r) => r.loaded.phasesMs.execution),
      observed: m((r) => r.loaded.phasesMs.observed),
    },
    ...(diagnosed.length > 0
      ? {
          loadedDiagnostics: {
            hostLoopDelayMs: {
              p99: median(diagnosed.map((r) => r.diagnostics!.loaded.hostLoopDelayMs.p99)),
              max: median(diagnosed.map((r) => r.diagnostics!.loaded.hostLoopDelayMs.max)),
            },
            storageReadMs: {
              p50: median(diagnosed.map((r) => r.diagnostics!.loaded.storageReadMs.p50)),
              p95: median(diagnosed.map((r) => r.diagnostics!.loaded.storageReadMs.p95)),
            },
          },
        }
      : {}),
  };
}

/**
 * Today's behaviour (no execution slots: `TRIAGE_EXECUTION_SLOTS=0`) against execution slots (the settings
 * given, else the defaults), and execution slots with tier 1's work Functions on a host of their own,
 * interleaved run by run so all three see the same machine; medians of `runs`.
 * @throws Error when a run fails (see `benchPriorityFlood`).
 */
export async function comparePriorityFlood(
  options: PriorityFloodOptions & { runs?: number; slotSettings?: Record<string, string> } = {},
): Promise<PriorityComparison> {
  const runs = Math.max(1, options.runs ?? 3);
  const { runs: _runs, slotSettings, ...common } = options;
  const today: PriorityFloodResult[] = [];
  const slots: PriorityFloodResult[] = [];
  const split: PriorityFloodResult[] = [];
  const line = (label: string, r: PriorityFloodResult) =>
    `  priority under flood (${label}): tier-1 p95 ${r.unloaded.p95Ms.toFixed(0)} → ${r.loaded.p95Ms.toFixed(0)} ms ` +
    `(${r.p95Ratio.toFixed(2)}×), flood ${r.flood.itemsPerSecond.toFixed(0)} items/s` +
    (r.flood.coveredProbes ? '' : ' (the flood ended before the tier-1 requests did)');
  for (let i = 1; i <= runs; i++) {
    const off = await benchPriorityFlood({
      ...common,
      settings: { ...common.settings, TRIAGE_EXECUTION_SLOTS: '0' },
    });
    today.push(off);
    console.log(`${line('today', off)}, run ${i}/${runs}`);
    const on = await benchPriorityFlood({ ...common, settings: { ...common.settings, ...slotSettings } });
    slots.push(on);
    console.log(`${line('execution slots', on)}, run ${i}/${runs}`);
    const own = await benchPriorityFlood({
      ...common,
      settings: { ...common.settings, ...slotSettings },
      tier1Host: true,
    });
    split.push(own);
    console.log(`${line('execution slots, tier 1 on its own host', own)}, run ${i}/${runs}`);
  }
  const t = mediansOf(today);
  const s = mediansOf(slots);
  return {
    runs,
    today: t,
    slots: s,
    tier1Host: mediansOf(split),
    p95Ratio: s.p95Ratio,
    floodRatio: s.floodItemsPerSecond / t.floodItemsPerSecond,
  };
}

// `node dist/test/bench/priority-flood.js` runs the comparison on its own (BENCH_RUNS runs, default 3).
if (require.main === module) {
  void (async () => {
    const result = await comparePriorityFlood({
      runs: Number(process.env.BENCH_RUNS ?? 3),
      backendCapacity: Number(process.env.BENCH_BACKEND_CAPACITY ?? 64),
      diagnose: process.env.BENCH_DIAGNOSE !== '0',
      ...(process.env.BENCH_VERBOSE ? { log: (line: string) => console.log(line) } : {}),
    });
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `\npriority under flood: loaded p95 / unloaded p95 = ${result.p95Ratio.toFixed(2)} (target ≤ 1.5; today ${result.today.p95Ratio.toFixed(2)}), ` +
        `flood throughput / today's = ${result.floodRatio.toFixed(2)} (target ≥ 0.8); ` +
        `with tier 1 on its own host ${result.tier1Host.p95Ratio.toFixed(2)}`,
    );
  })().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
