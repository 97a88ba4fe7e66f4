import { freePorts, startLocalStack, type LocalStack } from '../../local/stack';
import { roles } from '../../shared/domain/identity/principal';

/** Parsed JSON from our own API, read loosely by tests and benchmarks. */
type Json = ReturnType<typeof JSON.parse>;

/**
 * Whole-pipeline benchmarks on the local stack (Azurite + broker + host as child processes), run from
 * the build (`npm run bench` → dist/test/bench/run.js). Both start their own stack on free ports.
 */

export interface PipelineBenchResult {
  mailboxes: number;
  batches: number;
  /** From the 202 of POST /api/requests to the request's final status. */
  elapsedMs: number;
  itemsPerSecond: number;
  /** Planning (submit → running) and execution (running → completed) shares. */
  planningMs: number;
}

export interface PipelineBenchOptions {
  mailboxes: number;
  batchSize?: number;
  itemConcurrency?: number;
  /** More host settings (e.g. a simulated back-end that runs each move as a long-running operation). */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

async function withStack<T>(
  settings: Record<string, string>,
  fn: (stack: LocalStack) => Promise<T>,
  log?: (line: string) => void,
): Promise<T> {
  const stack = await startLocalStack({
    ...freePorts,
    startTimeoutInMs: 60_000,
    settings: { TRIAGE_EXECUTOR_LATENCY_MIN_MS: '0', TRIAGE_EXECUTOR_LATENCY_MAX_MS: '0', ...settings },
    ...(log ? { log } : {}),
  });
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

/** The benchmarks call as a requester of `bench-org` who may also read (the intake and pipeline as deployed, auth on). */
async function benchHeaders(stack: LocalStack): Promise<Record<string, string>> {
  const token = await stack.tokenIssuer?.mint({
    roles: [roles.requester, roles.operator],
    orgs: ['bench-org'],
    ttlInSeconds: 3600,
  });
  return { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Items per second through the whole pipeline (intake → plan → manifests → batch messages → per-item
 * execution with a zero-latency executor → roll-up) for one migration.
 * @throws Error when the request does not complete within 10 minutes or is not fully successful.
 */
export async function benchPipeline(
  options: PipelineBenchOptions = { mailboxes: 10_000 },
): Promise<PipelineBenchResult> {
  const settings = {
    TRIAGE_BATCH_SIZE: String(options.batchSize ?? 500),
    TRIAGE_ITEM_CONCURRENCY: String(options.itemConcurrency ?? 64),
    ...options.settings,
  };
  return withStack(
    settings,
    async (stack) => {
      const base = `${stack.hostUrl}/api`;
      const mailboxes = Array.from({ length: options.mailboxes }, (_, i) => ({
        address: `bench${i}@contoso.example`,
        sizeBytes: 1024,
      }));
      const headers = await benchHeaders(stack);
      const started = performance.now();
      const submitted = await json(`${base}/requests`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ kind: 'migrate', orgId: 'bench-org', mailboxes }),
      });
      if (submitted.status !== 202)
        throw new Error(`submit failed: ${submitted.status} ${JSON.stringify(submitted.body)}`);
      const id = submitted.body.id as string;
      let planningMs = 0;
      const deadline = Date.now() + 600_000;
      for (;;) {
        const r = await json(`${base}/requests/${id}`, { headers });
        if (!planningMs && r.body?.batchCount !== undefined) planningMs = performance.now() - started;
        if (['completed', 'completed-with-errors', 'failed', 'cancelled'].includes(r.body?.status)) {
          const elapsedMs = performance.now() - started;
          if (r.body.progress.succeeded !== options.mailboxes) {
            throw new Error(
              `benchmark migration ended ${r.body.status} with ${JSON.stringify(r.body.progress)}`,
            );
          }
          return {
            mailboxes: options.mailboxes,
            batches: r.body.batchCount as number,
            elapsedMs,
            itemsPerSecond: (options.mailboxes / elapsedMs) * 1000,
            planningMs,
          };
        }
        if (Date.now() > deadline)
          throw new Error(`benchmark migration not finished after 10 minutes: ${JSON.stringify(r.body)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    options.log,
  );
}

export interface HttpIntakeBenchResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  durationSeconds: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

/**
 * POST /api/requests (provisioning) under load with autocannon: intake requests per second, each one
 * validated, recorded in Table Storage and published to Service Bus.
 */
export async function benchHttpIntake(options: {
  durationSeconds: number;
  connections?: number;
  log?: (line: string) => void;
}): Promise<HttpIntakeBenchResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as Autocannon;
  // The tier workers also run (they consume what the intake publishes), as in production.
  return withStack(
    {},
    async (stack) => {
      const result = await autocannon({
        url: `${stack.hostUrl}/api/requests`,
        method: 'POST',
        connections: options.connections ?? 16,
        duration: options.durationSeconds,
        headers: await benchHeaders(stack),
        body: JSON.stringify({
          kind: 'provision',
          orgId: 'bench-org',
          resource: { type: 'vm', quantity: 1, region: 'uksouth' },
        }),
      });
      return {
        requestsPerSecond: result.requests.total / options.durationSeconds,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        durationSeconds: options.durationSeconds,
      };
    },
    options.log,
  );
}

// `node dist/test/bench/pipeline-throughput.js` runs both on their own.
if (require.main === module) {
  void (async () => {
    const pipeline = await benchPipeline({ mailboxes: Number(process.env.BENCH_MAILBOXES ?? 10_000) });
    console.log('pipeline', pipeline);
    const intake = await benchHttpIntake({ durationSeconds: Number(process.env.BENCH_SECONDS ?? 10) });
    console.log('http intake', intake);
  })().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
