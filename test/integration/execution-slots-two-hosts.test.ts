/**
 * Execution slots across instances: two host processes (the stack's and a second one, as two Function App
 * instances would be) share one Azurite and one broker, and one back-end that counts the calls it serves at
 * once. The back-end never sees more calls than the declared slots, both hosts hold slots, and a host killed
 * while it holds slots gives them back when its leases expire — the other host takes them.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { stopChild } from '../../local/child-process';
import { startE2eStack, type E2eStack } from '../e2e/support/e2e-stack';
import { waitFor } from '../support/host-fixture';

const slots = 6;
const leaseSeconds = 3;
let e2e: E2eStack;
let second: { process: ChildProcess; url: string } | undefined;
let backend: { url: string; inFlight: () => number; maxInFlight: () => number; close(): Promise<void> };

/** A back-end taking `delayMs` per call, counting how many it serves at once. */
async function startMeteredBackend(delayMs: number): Promise<typeof backend> {
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, delayMs);
    });
    // A caller that died (the killed host) no longer counts.
    res.on('close', () => {
      if (!res.writableEnded) inFlight--;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/execute`,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  backend = await startMeteredBackend(150);
  e2e = await startE2eStack({
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: backend.url,
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '1',
      TRIAGE_BATCH_SIZE: '30',
      TRIAGE_ITEM_CONCURRENCY: '3',
      TRIAGE_EXECUTION_SLOTS: String(slots),
      TRIAGE_EXECUTION_SLOTS_RESERVED: '{}',
      TRIAGE_EXECUTION_SLOT_LEASE_SECONDS: String(leaseSeconds),
    },
  });
  // The second instance: the same app and settings, its own process and port (stopped with the stack).
  second = await e2e.stack.startExtraHost();
}, 120_000);

afterAll(async () => {
  await e2e?.stop();
  await backend?.close();
});

interface SlotsView {
  used: number;
  capacity: number;
  holders: Array<{ instance?: string; slots: number; expiresAt: string }>;
  waiting: unknown[];
}

const slotsView = async (): Promise<SlotsView> => (await e2e.http('GET', '/api/execution-slots')).json;
const byInstance = (view: SlotsView, pid: number | undefined) =>
  view.holders.filter((h) => h.instance?.endsWith(`:${pid}`)).reduce((sum, h) => sum + h.slots, 0);

test("two instances never exceed the declared slots; a killed holder's slots come back when its lease expires", async () => {
  const pidA = e2e.stack.host.process.pid;
  const pidB = second!.process.pid;
  const submitted = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'shop',
    mailboxes: Array.from({ length: 900 }, (_, i) => ({ address: `u${i}@shop.example` })),
  });
  expect(submitted.status).toBe(202);

  // Both instances hold slots at some point; the ledger never shows more than declared.
  const seen = { a: false, b: false };
  let overLedger = 0;
  await waitFor(
    'both hosts holding slots',
    async () => {
      const view = await slotsView();
      if (view.used > slots) overLedger++;
      seen.a ||= byInstance(view, pidA) > 0;
      seen.b ||= byInstance(view, pidB) > 0;
      return seen.a && seen.b ? true : undefined;
    },
    60_000,
  );

  // Kill the second instance while it holds slots: nothing releases them but time.
  const held = await waitFor(
    'the second host holding slots',
    async () => {
      const view = await slotsView();
      const mine = byInstance(view, pidB);
      return mine > 0 ? mine : undefined;
    },
    30_000,
  );
  second!.process.kill('SIGKILL');
  await stopChild(second!.process);
  second = undefined;
  expect(held).toBeGreaterThan(0);
  const orphans = (await slotsView()).holders.filter((h) => h.instance?.endsWith(`:${pidB}`));
  const expiry = Math.min(...orphans.map((h) => Date.parse(h.expiresAt)));

  // Its leases stay until they expire, then the first host takes their slots (it has work waiting).
  const back = await waitFor(
    "the dead holder's slots back with the first host",
    async () => {
      const view = await slotsView();
      if (view.used > slots) overLedger++;
      return byInstance(view, pidB) === 0 && byInstance(view, pidA) === slots ? Date.now() : undefined;
    },
    (leaseSeconds + 10) * 1_000,
  );
  // Not before the leases ran out (nothing released them), and the first host took them soon after.
  if (orphans.length > 0) expect(back).toBeGreaterThanOrEqual(expiry);

  expect(overLedger).toBe(0);
  expect(backend.maxInFlight()).toBeLessThanOrEqual(slots);
  expect(backend.maxInFlight()).toBeGreaterThan(slots / 2);
}, 180_000);
