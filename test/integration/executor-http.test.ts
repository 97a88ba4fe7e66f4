import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionTask } from '../../shared/app/ports/executor';
import { createExecutor } from '../../shared/adapters/executors';

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
