import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { createTableStores, type TableStores } from '../../../shared/adapters/table-stores';
import type { LocalStack, LocalStackOptions } from '../../../local/stack';
import type { MintOptions } from '../../../local/token-issuer';
import { allRoles } from '../../../shared/domain/identity/principal';

/** Parsed JSON from our own API, read loosely by tests and benchmarks. */
type Json = ReturnType<typeof JSON.parse>;

// From test/e2e/support under jest, or from dist/test/e2e/support when compiled (npm run scenario:faults).
const root = path.resolve(
  __dirname,
  ...(__dirname.split(path.sep).includes('dist') ? ['..', '..', '..', '..'] : ['..', '..', '..']),
);

/**
 * Starts Azurite, the broker, the token issuer and the host from the compiled build, on free ports, with
 * authentication on (the local issuer's tokens) unless `options.auth` says otherwise.
 * The host loads dist/functions/index.js, so run `npm run build` first (`npm test` does).
 * @throws Error when the build is missing.
 */
export async function startE2eStack(options: LocalStackOptions = {}): Promise<E2eStack> {
  const stackModule = path.join(root, 'dist', 'local', 'stack.js');
  if (!existsSync(stackModule) || !existsSync(path.join(root, 'dist', 'functions', 'index.js'))) {
    throw new Error('the e2e tests run the compiled app: run `npm run build` first');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startLocalStack, freePorts } = require(stackModule) as typeof import('../../../local/stack');
  const log: string[] = [];
  const stack = await startLocalStack({
    ...freePorts,
    startTimeoutInMs: 60_000,
    ...options,
    settings: {
      TRIAGE_EXECUTOR_LATENCY_MIN_MS: '0',
      TRIAGE_EXECUTOR_LATENCY_MAX_MS: '0',
      // Back-off scaled to test time: 100 ms doubling to 2 s, for a minute.
      TRIAGE_RETRY_BASE_MS: '100',
      TRIAGE_RETRY_MAX_DELAY_MS: '2000',
      TRIAGE_RETRY_MAX_TOTAL_MS: '60000',
      // The reconciler every 2 s, repairing what made no progress for longer than a lock (PT1M) and a delay.
      TRIAGE_RECONCILE_SCHEDULE: '*/2 * * * * *',
      TRIAGE_RECONCILE_STALE_AFTER_MS: '20000',
      ...options.settings,
    },
    log: (line) => {
      log.push(line);
      if (log.length > 5_000) log.shift();
      options.log?.(line);
    },
  });
  const stores = createTableStores((name) =>
    TableClient.fromConnectionString(stack.storageConnectionString, name, { allowInsecureConnection: true }),
  );
  const blobs = BlobServiceClient.fromConnectionString(stack.storageConnectionString);
  return new E2eStack(stack, stores, blobs, log);
}

/** The organisations a call names: a body's `orgId` and an `orgId` query parameter. */
function orgsNamedBy(route: string, body: unknown): string[] {
  const named = new Set<string>();
  const fromBody = (body as { orgId?: unknown } | null | undefined)?.orgId;
  if (typeof fromBody === 'string') named.add(fromBody);
  const fromQuery = new URL(route, 'http://x').searchParams.get('orgId');
  if (fromQuery !== null) named.add(fromQuery);
  return [...named].sort();
}

export class E2eStack {
  private readonly harnessTokens = new Map<string, Promise<string>>();

  constructor(
    readonly stack: LocalStack,
    readonly stores: TableStores,
    readonly blobs: BlobServiceClient,
    readonly log: string[],
  ) {}

  get url(): string {
    return this.stack.hostUrl;
  }

  /**
   * A token from the stack's issuer.
   * @throws Error when the stack runs with authentication off.
   */
  async token(options: MintOptions): Promise<string> {
    if (!this.stack.tokenIssuer) throw new Error('this stack runs with --auth off: no tokens');
    return this.stack.tokenIssuer.mint(options);
  }

  /**
   * Calls the API. Without an `authorization` header the call is made as the suites' harness principal:
   * every role, with the Requester binding for the organisation the call names (the pipeline suites are
   * about the pipeline; identity has its own suites, which pass their own tokens).
   */
  async http(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Headers; json: Json; text: string }> {
    const given = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    if (!given && this.stack.tokenIssuer) {
      const orgs = orgsNamedBy(route, body);
      const key = orgs.join(',');
      let token = this.harnessTokens.get(key);
      if (!token) {
        token = this.token({ roles: allRoles, orgs, subject: 'e2e-harness', ttlInSeconds: 4 * 3600 });
        this.harnessTokens.set(key, token);
      }
      headers = { ...headers, authorization: `Bearer ${await token}` };
    }
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body =
        typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.url}${route}`, init);
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  async registerOrg(orgId: string, tier: string): Promise<void> {
    const r = await this.http('PUT', `/api/orgs/${orgId}`, {
      name: orgId,
      sector: tier,
      tier,
      evidence: `e2e: ${orgId} verified at ${tier}`,
    });
    if (r.status !== 200) throw new Error(`PUT org ${orgId}: ${r.status} ${r.text}`);
  }

  /** Polls GET /api/requests/{id} until every id is in a final status, or fails at the deadline with the last states. */
  async waitForFinal(ids: string[], timeoutInMs = 120_000): Promise<Map<string, Json>> {
    const finalStatuses = new Set(['completed', 'completed-with-errors', 'failed', 'cancelled']);
    // The status event follows the status write by a moment: final means its history says so too.
    const final = (view: Json): boolean =>
      finalStatuses.has(view?.status) &&
      (!Array.isArray(view.history) ||
        (view.history as Array<{ status?: string }>).some((h) => h.status === view.status));
    const deadline = Date.now() + timeoutInMs;
    const states = new Map<string, Json>();
    for (;;) {
      const pending = ids.filter((id) => !final(states.get(id)));
      for (let i = 0; i < pending.length; i += 20) {
        await Promise.all(
          pending.slice(i, i + 20).map(async (id) => {
            const r = await this.http('GET', `/api/requests/${id}`);
            if (r.status === 200) states.set(id, r.json);
          }),
        );
      }
      if (ids.every((id) => final(states.get(id)))) return states;
      if (Date.now() > deadline) {
        const summary = ids.map(
          (id) => `${id}: ${states.get(id)?.status} ${JSON.stringify(states.get(id)?.progress)}`,
        );
        throw new Error(
          `requests not final after ${timeoutInMs} ms:\n${summary.slice(0, 20).join('\n')}\n--- host log tail:\n${this.log.slice(-40).join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Every entity of a table (test inspection only). */
  async allEntities(table: keyof TableStores['clients']): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    try {
      for await (const e of this.stores.clients[table].listEntities()) out.push(e);
    } catch (err: unknown) {
      if ((err as { statusCode?: number }).statusCode === 404) return [];
      throw err;
    }
    return out;
  }

  async blobText(container: string, name: string): Promise<string> {
    return (
      await this.blobs.getContainerClient(container).getBlockBlobClient(name).downloadToBuffer()
    ).toString('utf8');
  }

  /**
   * Writes an inventory straight to Blob, as an operator restoring one would: with its owner in the
   * metadata, which the app checks before any request uses it.
   */
  async putInventoryBlob(name: string, text: string, orgId: string): Promise<void> {
    await this.blobs
      .getContainerClient('inventories')
      .getBlockBlobClient(name)
      .upload(text, Buffer.byteLength(text), { metadata: { orgid: orgId, source: 'csv-import' } });
  }

  async listBlobs(container: string, prefix?: string): Promise<string[]> {
    const names: string[] = [];
    const client = this.blobs.getContainerClient(container);
    if (!(await client.exists())) return names;
    for await (const b of client.listBlobsFlat(prefix ? { prefix } : {})) names.push(b.name);
    return names;
  }

  async stop(): Promise<void> {
    await this.stack.stop();
  }
}

/** Listens on a free 127.0.0.1 port; `close` cuts the open connections too (a test back-end's end). */
async function listenOnLoopback(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A downstream system for the `http` executor: answers 503 to a seeded ~`failureRate` of calls and
 * 200 otherwise, counting successful calls per Idempotency-Key.
 */
export async function startCountingExecutorServer(options: {
  failureRate: number;
  seed?: number;
  delayMs?: number;
}): Promise<{
  url: string;
  successes: Map<string, number>;
  calls: () => number;
  failures: () => number;
  /** While true, every call answers 503 (a back-end outage). */
  setOutage(down: boolean): void;
  close(): Promise<void>;
}> {
  let state = options.seed ?? 12345;
  const random = (): number => {
    // mulberry32: reproducible failures without Math.random.
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const successes = new Map<string, number>();
  let calls = 0;
  let failures = 0;
  let outage = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void respond());
    const respond = async (): Promise<void> => {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      calls++;
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key) {
        res.writeHead(400).end('no Idempotency-Key');
        return;
      }
      if (outage || random() < options.failureRate) {
        failures++;
        res.writeHead(503).end('try again');
        return;
      }
      successes.set(key, (successes.get(key) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/execute`,
    successes,
    calls: () => calls,
    failures: () => failures,
    setOutage: (down) => {
      outage = down;
    },
    close,
  };
}

/**
 * A back-end running long operations, as the README's back-end contract describes: POST answers
 * `202 Accepted` with `Location: /ops/{key}` and `Retry-After: 1`; GET on it answers `{"status":"running"}`
 * until the move has run `durationMs(key)` (from its first start), then `{"status":"succeeded"}`. A move whose
 * duration is Infinity never finishes. Counts starts per Idempotency-Key and status reads.
 */
export async function startLongRunningBackEnd(durationMs: (key: string) => number): Promise<{
  url: string;
  starts: Map<string, number>;
  reads: () => number;
  close(): Promise<void>;
}> {
  const startedAt = new Map<string, number>();
  const starts = new Map<string, number>();
  let reads = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') {
        const key = String(req.headers['idempotency-key'] ?? '');
        if (!key) return void res.writeHead(400).end('no Idempotency-Key');
        starts.set(key, (starts.get(key) ?? 0) + 1);
        if (!startedAt.has(key)) startedAt.set(key, Date.now());
        res.writeHead(202, { location: `/ops/${encodeURIComponent(key)}`, 'retry-after': '1' }).end();
        return;
      }
      const key = decodeURIComponent((req.url ?? '').replace(/^\/ops\//, ''));
      const since = startedAt.get(key);
      reads++;
      if (since === undefined) return void res.writeHead(404).end();
      const done = Date.now() - since >= durationMs(key);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: done ? 'succeeded' : 'running' }));
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/moves`,
    starts,
    reads: () => reads,
    close,
  };
}

export function mailboxes(
  count: number,
  domain = 'contoso.example',
): Array<{ address: string; sizeBytes: number }> {
  return Array.from({ length: count }, (_, i) => ({
    address: `user${String(i).padStart(5, '0')}@${domain}`,
    sizeBytes: 1024 * (i + 1),
  }));
}
