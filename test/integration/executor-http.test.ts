import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionTask } from '../../shared/app/ports/executor';
import { createExecutor, HttpExecutor } from '../../shared/adapters/executors';

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A real HTTP server on a free port; `respond` decides each answer from the call number (1-based). */
async function startServer(
  respond: (call: number, res: ServerResponse) => void,
): Promise<{ url: string; calls: Received[]; close(): Promise<void> }> {
  const calls: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      respond(calls.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/items`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const task: ExecutionTask = {
  kind: 'provision',
  requestId: 'req-42',
  orgId: 'contoso',
  tier: 'government',
  itemId: 'item-1',
  idempotencyKey: 'req-42:item-1',
  payload: { type: 'vm', quantity: 3, region: 'westeurope' },
  attempt: 2,
};

/** The http executor pointed at `url`, with the timing each test needs. */
function httpExecutor(url: string, timing: { timeoutMs: number; maxAttempts: number; backoffMs: number }) {
  return createExecutor({ type: 'http', url, ...timing });
}

function reply(status: number, body = ''): (call: number, res: ServerResponse) => void {
  return (_call, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
}

describe('http executor against a real HTTP server', () => {
  test('POSTs the task as JSON with Idempotency-Key, once, and reports 2xx as ok', async () => {
    const server = await startServer(reply(201, '{"id":"x"}'));
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 2_000, maxAttempts: 3, backoffMs: 10 });
      expect(await executor.execute(task)).toEqual({ ok: true, detail: 'HTTP 201' });
      expect(server.calls).toHaveLength(1);
      const [call] = server.calls;
      expect(call?.method).toBe('POST');
      expect(call?.headers['idempotency-key']).toBe('req-42:item-1');
      expect(call?.headers['content-type']).toBe('application/json');
      expect(call?.body).toEqual({
        kind: 'provision',
        requestId: 'req-42',
        orgId: 'contoso',
        tier: 'government',
        itemId: 'item-1',
        payload: { type: 'vm', quantity: 3, region: 'westeurope' },
        attempt: 2,
      });
    } finally {
      await server.close();
    }
  });

  test('retries 503 in process with the same key, then succeeds', async () => {
    const server = await startServer((call, res) => reply(call <= 2 ? 503 : 200)(call, res));
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 2_000, maxAttempts: 4, backoffMs: 20 });
      const started = performance.now();
      expect(await executor.execute(task)).toEqual({ ok: true, detail: 'HTTP 200' });
      expect(server.calls).toHaveLength(3);
      expect(new Set(server.calls.map((c) => c.headers['idempotency-key']))).toEqual(
        new Set(['req-42:item-1']),
      );
      // Backoff with equal jitter: at least half of 20 ms then half of 40 ms.
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
    } finally {
      await server.close();
    }
  });

  test('5xx on every attempt ends transient after exactly maxAttempts calls', async () => {
    const server = await startServer(reply(500, 'database is down'));
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 2_000, maxAttempts: 3, backoffMs: 1 });
      expect(await executor.execute(task)).toEqual({
        ok: false,
        retryable: true,
        reason: 'HTTP 500: database is down (after 3 attempts)',
      });
      expect(server.calls).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  test('400 is permanent at once, with the status and a short body excerpt', async () => {
    const server = await startServer(reply(400, `{"error":"unknown region"}${' padding'.repeat(100)}`));
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 2_000, maxAttempts: 5, backoffMs: 1 });
      const outcome = await executor.execute(task);
      expect(outcome).toMatchObject({ ok: false, retryable: false });
      const reason = outcome.ok ? '' : outcome.reason;
      expect(reason).toMatch(/^HTTP 400: \{"error":"unknown region"\} padding/);
      expect(reason.length).toBeLessThan(230);
      expect(server.calls).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test.each([408, 429])('%i is transient at once, left to Service Bus redelivery', async (status) => {
    const server = await startServer(reply(status));
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 2_000, maxAttempts: 5, backoffMs: 1 });
      expect(await executor.execute(task)).toEqual({ ok: false, retryable: true, reason: `HTTP ${status}` });
      expect(server.calls).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test('a redirect is not followed: permanent (a misconfigured URL)', async () => {
    const server = await startServer((_call, res) => res.writeHead(307, { location: '/elsewhere' }).end());
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 2_000, maxAttempts: 2, backoffMs: 1 });
      expect(await executor.execute(task)).toMatchObject({ ok: false, retryable: false, reason: 'HTTP 307' });
      expect(server.calls).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test('a server that never answers times out per attempt, is retried, then reported transient', async () => {
    const server = await startServer(() => undefined);
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 150, maxAttempts: 2, backoffMs: 1 });
      const started = performance.now();
      expect(await executor.execute(task)).toEqual({
        ok: false,
        retryable: true,
        reason: 'timed out after 150 ms (after 2 attempts)',
      });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2_000);
      expect(server.calls).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  test('a refused connection is retried, then reported transient', async () => {
    const server = await startServer(reply(200));
    const url = server.url;
    await server.close();
    const executor = httpExecutor(url, { timeoutMs: 1_000, maxAttempts: 2, backoffMs: 1 });
    expect(await executor.execute(task)).toEqual({
      ok: false,
      retryable: true,
      reason: 'connection error: ECONNREFUSED (after 2 attempts)',
    });
  });

  test('an abort from the caller rejects with its reason instead of returning an outcome', async () => {
    const server = await startServer(() => undefined);
    try {
      const executor = httpExecutor(server.url, { timeoutMs: 10_000, maxAttempts: 3, backoffMs: 1 });
      const controller = new AbortController();
      const running = executor.execute(task, controller.signal);
      // Abort once the request has reached the server: an observable condition, not a sleep.
      const deadline = Date.now() + 5_000;
      while (server.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(server.calls).toHaveLength(1);
      const reason = new Error('host stopping');
      controller.abort(reason);
      await expect(running).rejects.toBe(reason);
      expect(server.calls).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

/**
 * A back-end running long operations, as the README's contract describes: POST answers 202 with a status
 * URL; GET on it answers as `status(call)` says (call = 1-based status read).
 */
async function startLongRunningServer(
  status: (read: number, res: ServerResponse) => void,
  start: (res: ServerResponse, origin: string) => void = (res) =>
    res.writeHead(202, { location: '/ops/42', 'retry-after': '7' }).end(),
): Promise<{ url: string; origin: string; methods: string[]; keys: string[]; close(): Promise<void> }> {
  const methods: string[] = [];
  const keys: string[] = [];
  let reads = 0;
  let origin = '';
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      methods.push(`${req.method} ${req.url}`);
      keys.push(String(req.headers['idempotency-key']));
      if (req.method === 'POST') start(res, origin);
      else status(++reads, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/moves`,
    origin,
    methods,
    keys,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_read: number, res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

/** The http executor itself (its `poll` is not optional), as `createExecutor` builds it. */
const httpPoller = (url: string, timing: { timeoutMs: number; maxAttempts: number; backoffMs: number }) =>
  new HttpExecutor({ url, ...timing });

describe('http executor: long-running operations (202 Accepted + Location, polled)', () => {
  const timing = { timeoutMs: 2_000, maxAttempts: 2, backoffMs: 1 };

  test('202 with Location and Retry-After is in progress: the status URL resolved on the executor origin', async () => {
    const server = await startLongRunningServer(json(200, { status: 'Running' }));
    try {
      const executor = httpPoller(server.url, timing);
      expect(await executor.execute(task)).toEqual({
        ok: 'in-progress',
        operationUrl: `${server.origin}/ops/42`,
        retryAfterMs: 7_000,
        detail: 'HTTP 202: in progress',
      });
      expect(server.methods).toEqual(['POST /moves']);
    } finally {
      await server.close();
    }
  });

  test('polls GET the status URL with the Idempotency-Key: running, then 202 with a new Location, then done', async () => {
    const server = await startLongRunningServer((read, res) => {
      if (read === 1) return json(200, { status: 'InProgress' }, { 'retry-after': '3' })(read, res);
      if (read === 2) return res.writeHead(202, { location: '/ops/43' }).end();
      return json(200, { status: 'Succeeded' })(read, res);
    });
    try {
      const executor = httpPoller(server.url, timing);
      const started = await executor.execute(task);
      const first = started.ok === 'in-progress' ? started.operationUrl : '';
      expect(await executor.poll(task, first)).toMatchObject({
        ok: 'in-progress',
        operationUrl: first,
        retryAfterMs: 3_000,
      });
      const moved = await executor.poll(task, first);
      expect(moved).toMatchObject({ ok: 'in-progress', operationUrl: `${server.origin}/ops/43` });
      expect(await executor.poll(task, `${server.origin}/ops/43`)).toEqual({
        ok: true,
        detail: 'HTTP 200: operation succeeded',
      });
      expect(server.methods).toEqual(['POST /moves', 'GET /ops/42', 'GET /ops/42', 'GET /ops/43']);
      expect(new Set(server.keys)).toEqual(new Set(['req-42:item-1']));
    } finally {
      await server.close();
    }
  });

  test.each([
    [
      '303 See Other',
      (_r: number, res: ServerResponse) => res.writeHead(303, { location: '/mailboxes/1' }).end(),
      { ok: true },
    ],
    ['200 with no status', json(200, { id: 'mbx-1' }), { ok: true }],
    ['204', (_r: number, res: ServerResponse) => res.writeHead(204).end(), { ok: true }],
    [
      'a failed status',
      json(200, { status: 'Failed', error: { code: 'MailboxLocked', message: 'in use' } }),
      { ok: false, retryable: false, reason: 'operation failed: MailboxLocked: in use' },
    ],
    [
      'a cancelled status',
      json(200, { status: 'Canceled' }),
      { ok: false, retryable: false, reason: 'operation canceled' },
    ],
    ['an unknown status', json(200, { status: 'Frobbing' }), { ok: false, retryable: true }],
    [
      '503',
      (_r: number, res: ServerResponse) => res.writeHead(503).end('busy'),
      { ok: false, retryable: true, reason: 'status unknown: status HTTP 503: busy' },
    ],
    ['429', (_r: number, res: ServerResponse) => res.writeHead(429).end(), { ok: false, retryable: true }],
    [
      '403',
      (_r: number, res: ServerResponse) => res.writeHead(403).end('no'),
      { ok: false, retryable: false, reason: 'status HTTP 403: no' },
    ],
  ])('a status read answering %s', async (_name, answer, expected) => {
    const server = await startLongRunningServer(answer);
    try {
      const executor = httpPoller(server.url, timing);
      expect(await executor.poll(task, `${server.origin}/ops/42`)).toMatchObject(expected);
      expect(server.methods).toEqual(['GET /ops/42']);
    } finally {
      await server.close();
    }
  });

  test('404 on a status read: the back-end lost the operation, so the task is started again under its key', async () => {
    const server = await startLongRunningServer((_r, res) => res.writeHead(404).end());
    try {
      const executor = httpPoller(server.url, timing);
      expect(await executor.poll(task, `${server.origin}/ops/41`)).toMatchObject({
        ok: 'in-progress',
        operationUrl: `${server.origin}/ops/42`,
      });
      expect(server.methods).toEqual(['GET /ops/41', 'POST /moves']);
    } finally {
      await server.close();
    }
  });

  test('a status URL on another origin is refused (no call goes there), and so is 202 without Location', async () => {
    const elsewhere = await startLongRunningServer(json(200, { status: 'Succeeded' }));
    const server = await startLongRunningServer(json(200, {}), (res) =>
      res.writeHead(202, { location: `${elsewhere.origin}/ops/1` }).end(),
    );
    const silent = await startLongRunningServer(json(200, {}), (res) => res.writeHead(202).end());
    try {
      const outcome = await httpPoller(server.url, timing).execute(task);
      expect(outcome).toMatchObject({
        ok: false,
        retryable: false,
        reason: expect.stringContaining("not on the executor's origin"),
      });
      expect(await httpPoller(server.url, timing).poll(task, `${elsewhere.origin}/ops/1`)).toMatchObject({
        ok: false,
        retryable: false,
      });
      expect(elsewhere.methods).toEqual([]);
      expect(await httpPoller(silent.url, timing).execute(task)).toEqual({
        ok: false,
        retryable: false,
        reason: 'HTTP 202 without a Location header: the operation cannot be followed',
      });
    } finally {
      await Promise.all([elsewhere.close(), server.close(), silent.close()]);
    }
  });
});
