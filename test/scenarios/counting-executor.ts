import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A back-end for the `http` executor that counts each idempotency key's successful calls and, per mailbox
 * (organisation and address), the keys it was moved under. A key counted twice is a re-send an idempotent
 * back-end absorbs (a lock lost under load runs the items in flight again, same key); a mailbox moved under
 * two keys is a real double migration.
 */
export async function startCountingExecutor(): Promise<{
  url: string;
  successes: Map<string, number>;
  keysByMailbox: Map<string, Set<string>>;
  close(): Promise<void>;
}> {
  const successes = new Map<string, number>();
  const keysByMailbox = new Map<string, Set<string>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      successes.set(key, (successes.get(key) ?? 0) + 1);
      const mailbox = mailboxOf(Buffer.concat(chunks).toString('utf8'));
      if (mailbox) keysByMailbox.set(mailbox, (keysByMailbox.get(mailbox) ?? new Set()).add(key));
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/execute`,
    successes,
    keysByMailbox,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `{orgId}/{address}` of a mailbox move's body (lower case, as Exchange compares), or undefined. */
function mailboxOf(body: string): string | undefined {
  try {
    const task = JSON.parse(body) as { kind?: string; orgId?: string; payload?: { address?: unknown } };
    if (task.kind !== 'migrate-mailbox' || typeof task.payload?.address !== 'string') return undefined;
    return `${task.orgId}/${task.payload.address.toLowerCase()}`;
  } catch {
    return undefined;
  }
}
