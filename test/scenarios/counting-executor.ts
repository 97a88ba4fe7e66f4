import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A back-end for the `http` executor that counts each idempotency key's successful calls (exactly-once checks). */
export async function startCountingExecutor(): Promise<{
  url: string;
  successes: Map<string, number>;
  close(): Promise<void>;
}> {
  const successes = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      successes.set(key, (successes.get(key) ?? 0) + 1);
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/execute`,
    successes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
