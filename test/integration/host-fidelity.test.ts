/**
 * The local host against an app written the way `func init` lays it out (test/fixtures/fidelity-app):
 * a package.json "main" glob, HTTP streaming, output bindings, retry policies, disabled functions,
 * app-level hook data, trace context, TTL'd dead-letters and deferral counts — each checked against the
 * real host's documented behaviour. The host runs as a child process (`--app <folder>`), as `npm start`
 * runs it: the library's streaming switch is process-wide.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../local/azurite';
import { forEachLine } from '../../local/child-process';
import { startBroker, type RunningBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';
import {
  ensureFidelityAppBuilt,
  fidelityEntities,
  hostCliEntry,
  repoRoot,
  waitFor,
  writeTestHostJson,
} from '../support/host-fixture';

interface RetryRun {
  retryCount?: number;
  maxRetryCount?: number;
  exception?: string;
  at: number;
}
interface Observations {
  fixedRetries: RetryRun[];
  backoffRetries: RetryRun[];
  poisonAttempts: Array<{ messageId: unknown; deliveryCount: unknown }>;
  disabledRuns: number;
}

let azurite: RunningAzurite;
let broker: RunningBroker;
let client: ServiceBusClient;
let host: ChildProcess;
let hostExit: Promise<number | null>;
let baseUrl: string;
const output: string[] = [];
const terminateFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'fidelity-')), 'terminate.json');

beforeAll(async () => {
  const appFolder = await ensureFidelityAppBuilt();
  [azurite, broker] = await Promise.all([
    startAzurite({ blobPort: 0 }),
    startBroker({ topology, port: 0, metricsPort: null, extraEntities: fidelityEntities }),
  ]);
  client = new ServiceBusClient(broker.connectionString);
  const settingsFile = path.join(path.dirname(terminateFile), 'local.settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      Values: {
        ServiceBusConnection: broker.connectionString,
        AzureWebJobsStorage: azurite.connectionString,
        'AzureWebJobs.disabled-timer.Disabled': 'true',
        'AzureWebJobs.disabled-http.Disabled': 'true',
        FIDELITY_TERMINATE_FILE: terminateFile,
      },
    }),
  );
  const hostJson = writeTestHostJson({ functionTimeout: '00:00:20' });
  host = spawn(
    process.execPath,
    [hostCliEntry, '--app', appFolder, '--port', '0', '--settings', settingsFile, '--host-json', hostJson],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  forEachLine(host.stdout, (line) => output.push(line));
  forEachLine(host.stderr, (line) => output.push(line));
  hostExit = new Promise((resolve) => host.once('exit', (code) => resolve(code)));
  const started = await waitFor(
    'Host started',
    () => {
      if (host.exitCode !== null) throw new Error(`host exited:\n${output.join('\n')}`);
      return output.find((l) => l.startsWith('Host started'));
    },
    30_000,
  );
  baseUrl = `http://127.0.0.1:${/localhost:(\d+)/.exec(started)?.[1]}`;
}, 90_000);

afterAll(async () => {
  if (host && host.exitCode === null) {
    host.kill('SIGKILL');
    await hostExit;
  }
  await client?.close();
  await broker?.close();
  await azurite?.close();
});

const get = (route: string, init?: RequestInit): Promise<Response> => fetch(`${baseUrl}${route}`, init);
const observations = async (): Promise<Observations> =>
  (await (await get('/api/fidelity/observations')).json()) as Observations;

test('a package.json "main" glob loads index.js and every functions/*.js, as the worker does', () => {
  const listing = output.join('\n');
  expect(listing).toContain('fidelity-observations: [GET]'); // from dist/src/index.js
  expect(listing).toContain('place-order: [POST]'); // from dist/src/functions/outputs.js
  expect(listing).toContain('retry-fixed: timerTrigger'); // from dist/src/functions/retry.js
  expect(listing).toContain('disabled-timer: (disabled)');
  expect(listing).toContain('HTTP streaming enabled');
});

describe('output bindings', () => {
  test('extraOutputs: a Service Bus queue array, a blob and a table entity; return: a topic message', async () => {
    const response = await get('/api/orders/42', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: ['apple', 'pear'] }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: '42' });

    // The array became two queue messages; forward-order turned each into one topic message (`return`).
    const events = client.createReceiver('fidelity-events', 'all', { skipParsingBodyAsJson: true });
    try {
      const bodies: string[] = [];
      const deadline = Date.now() + 15_000;
      while (bodies.length < 2 && Date.now() < deadline) {
        for (const message of await events.receiveMessages(2, { maxWaitTimeInMs: 1_000 })) {
          bodies.push(Buffer.from(message.body as Buffer).toString('utf8'));
          expect(message.contentType).toBeUndefined(); // a string output is plain text
          await events.completeMessage(message);
        }
      }
      expect(bodies.sort()).toEqual([
        'forwarded:{"id":"42","item":"apple"}',
        'forwarded:{"id":"42","item":"pear"}',
      ]);
    } finally {
      await events.close();
    }

    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient('fidelity-receipts')
      .getBlockBlobClient('42.json');
    expect(JSON.parse((await blob.downloadToBuffer()).toString('utf8'))).toEqual({
      id: '42',
      items: ['apple', 'pear'],
    });
    const table = TableClient.fromConnectionString(azurite.connectionString, 'fidelityledger', {
      allowInsecureConnection: true,
    });
    expect(await table.getEntity('orders', '42')).toMatchObject({ itemCount: 2 });
  });

  test('an output that cannot be delivered fails the invocation: the trigger message is abandoned until dead-lettered', async () => {
    const sender = client.createSender('fidelity-broken');
    const deadLetters = client.createReceiver('fidelity-broken', { subQueueType: 'deadLetter' });
    try {
      await sender.sendMessages({ messageId: 'broken-1', body: 'x' });
      const dead = await waitFor('the dead-lettered trigger message', async () => {
        const [message] = await deadLetters.peekMessages(1);
        return message;
      });
      expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
      expect(output.some((l) => /output binding "\$return" \(serviceBus\):.*no-such-queue/.test(l))).toBe(
        true,
      );
      expect(output.some((l) => /Executed 'Functions\.broken-output' \(Succeeded/.test(l))).toBe(false);
    } finally {
      await Promise.all([sender.close(), deadLetters.close()]);
    }
  });
});

describe('HTTP streaming (enableHttpStream)', () => {
  test('a request body is streamed to the handler; route parameters and headers arrive', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    async function* parts(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 16; i++) yield chunk;
    }
    const response = await fetch(`${baseUrl}/api/stream/upload/big`, {
      method: 'POST',
      headers: { 'x-test': 'streamed' },
      body: ReadableStreamFrom(parts()),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { label: string; bytes: number; chunks: number; header: string };
    expect(body).toMatchObject({ label: 'big', bytes: 16 * chunk.length, header: 'streamed' });
    expect(body.chunks).toBeGreaterThan(1);
  });

  test('a response is streamed: the first part arrives before the handler writes the last', async () => {
    const response = await get('/api/stream/ticks');
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    const arrivals: number[] = [];
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push(Date.now());
      text += Buffer.from(value).toString('utf8');
    }
    expect(text.trim().split('\n')).toHaveLength(3);
    // The handler waits 300 ms between parts: streamed, the first one is read well before the end.
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(450);
  });

  test('a streaming handler that throws gives 500; one that returns nothing gives 204', async () => {
    expect((await get('/api/stream/throws')).status).toBe(500);
    const nothing = await get('/api/stream/nothing');
    expect(nothing.status).toBe(204);
  });
});

test("context.traceContext continues the caller's W3C traceparent with a new span", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const withParent = (await (
    await get('/api/trace', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'a=1' },
    })
  ).json()) as { traceParent: string; traceState: string };
  expect(withParent.traceParent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  expect(withParent.traceParent).not.toContain('00f067aa0ba902b7');
  expect(withParent.traceState).toBe('a=1');
  const fresh = (await (await get('/api/trace')).json()) as { traceParent: string };
  expect(fresh.traceParent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
});

describe('retry policies on timers', () => {
  test('fixedDelay: retryContext counts 0, 1, 2 with the previous failure, 1 s apart, until it succeeds', async () => {
    const runs = await waitFor(
      'three fixed-delay runs',
      async () => {
        const o = await observations();
        return o.fixedRetries.length >= 3 ? o.fixedRetries : undefined;
      },
      20_000,
    );
    expect(runs.map((r) => [r.retryCount, r.maxRetryCount, r.exception])).toEqual([
      [0, 3, undefined],
      [1, 3, 'fixed attempt 1 failed'],
      [2, 3, 'fixed attempt 2 failed'],
    ]);
    expect((runs[1]?.at ?? 0) - (runs[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect((runs[2]?.at ?? 0) - (runs[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await observations()).fixedRetries).toHaveLength(3);
  });

  test('exponentialBackoff: minimumInterval first, then about twice it; stops after maxRetryCount', async () => {
    const runs = await waitFor(
      'three backoff runs',
      async () => {
        const o = await observations();
        return o.backoffRetries.length >= 3 ? o.backoffRetries : undefined;
      },
      20_000,
    );
    expect(runs.map((r) => r.retryCount)).toEqual([0, 1, 2]);
    const first = (runs[1]?.at ?? 0) - (runs[0]?.at ?? 0);
    const second = (runs[2]?.at ?? 0) - (runs[1]?.at ?? 0);
    expect(first).toBeGreaterThanOrEqual(950);
    expect(second).toBeGreaterThanOrEqual(1_750);
    await waitFor('the give-up line', () =>
      output.find((l) => l.includes("[retry-backoff] Function execution failed after '2' retries.")),
    );
    expect((await observations()).backoffRetries).toHaveLength(3);
  });
});

test('AzureWebJobs.<name>.Disabled: a disabled timer never runs, a disabled HTTP function answers 404', async () => {
  expect((await get('/api/disabled')).status).toBe(404);
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  expect((await observations()).disabledRuns).toBe(0);
});

describe('Service Bus semantics the app sees', () => {
  test('a failing message with a short timeToLive is dead-lettered at maxDeliveryCount and stays there past its TTL', async () => {
    const sender = client.createSender('fidelity-poison');
    const deadLetters = client.createReceiver('fidelity-poison', { subQueueType: 'deadLetter' });
    try {
      await sender.sendMessages({ messageId: 'poison-ttl', body: 'bad', timeToLive: 3_000 });
      const attempts = await waitFor('two failed deliveries', async () => {
        const o = await observations();
        return o.poisonAttempts.length >= 2 ? o.poisonAttempts : undefined;
      });
      // The host reports the .NET delivery count: 1 on the first delivery.
      expect(attempts.map((a) => a.deliveryCount)).toEqual([1, 2]);
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      const [dead] = await deadLetters.peekMessages(1);
      expect(dead?.messageId).toBe('poison-ttl');
      expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    } finally {
      await Promise.all([sender.close(), deadLetters.close()]);
    }
  });

  test("a deferred message fetched by sequence number counts the deferral, as the SDK's own tests expect", async () => {
    const response = await get('/api/defer-roundtrip', { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 0, deferred: 1, afterAbandon: 2, state: 'deferred' });
  });
});

test('appTerminate sees the hookData appStart set; the host stops cleanly on SIGTERM', async () => {
  host.kill('SIGTERM');
  expect(await hostExit).toBe(0);
  const seen = JSON.parse(readFileSync(terminateFile, 'utf8')) as { hookData: Record<string, unknown> };
  expect(seen.hookData).toMatchObject({ startedBy: 'appStart', startedAt: expect.any(Number) });
}, 30_000);

/** A web ReadableStream over an async iterable (fetch streams request bodies from it). */
function ReadableStreamFrom(source: AsyncIterable<Buffer>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(new Uint8Array(value));
    },
  });
}
