/**
 * The local Functions host against the compiled fixture app: HTTP routing and mapping, failures,
 * timeouts, keys, hooks, timers and the registrations it exposes. Real host, real library, real broker.
 */
import { startBroker, type RunningBroker } from '../../local/servicebus/broker';
import { startHost, type RunningHost } from '../../local/host/host';
import { loadRegistrations } from '../../local/host/registrations';
import { topology } from '../../shared/topology';
import {
  ensureFixtureBuilt,
  hostTestEntities,
  hostTestSettings,
  waitFor,
  writeTestHostJson,
} from '../support/host-fixture';

interface Observations {
  appStarted: boolean;
  startupRuns: number;
  hookCalls: { pre: number; post: number };
  timer: Array<{ at: string; isPastDue: boolean; hasSchedule: boolean }>;
}

const maxBody = 64 * 1024;
let appEntry: string;
let broker: RunningBroker;
let host: RunningHost;
const lines: string[] = [];

function settings(): Record<string, string> {
  return { ServiceBusConnection: broker.connectionString, ...hostTestSettings };
}

beforeAll(async () => {
  appEntry = await ensureFixtureBuilt();
  broker = await startBroker({ topology, port: 0, metricsPort: null, extraEntities: hostTestEntities });
  host = await startHost({
    appEntry,
    port: 0,
    settings: settings(),
    hostJsonPath: writeTestHostJson({
      functionTimeout: '00:00:02',
      extensions: { http: { routePrefix: 'api' } },
    }),
    maxRequestBodySizeInBytes: maxBody,
    log: (line) => lines.push(line),
  });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await broker?.close();
});

const get = (path: string, init?: RequestInit): Promise<Response> => fetch(`${host.url}${path}`, init);

describe('routes', () => {
  test('route parameters, optional parameters and query values reach the handler', async () => {
    const named = await get('/api/hello/ada?tag=a&tag=b', { headers: { 'x-test': 'yes' } });
    expect(named.status).toBe(200);
    expect(await named.json()).toMatchObject({
      name: 'ada',
      method: 'GET',
      tags: ['a', 'b'],
      header: 'yes',
      functionName: 'hello',
    });

    const unnamed = await get('/api/hello', { method: 'POST' });
    expect(await unnamed.json()).toMatchObject({ name: null, method: 'POST' });
  });

  test('constraints decide the match and literals win over parameters', async () => {
    expect(await (await get('/api/items/42')).json()).toEqual({ id: '42', kind: 'by-id' });
    expect(await (await get('/api/items/latest')).json()).toEqual({ kind: 'latest' });
    expect((await get('/api/items/not-a-number')).status).toBe(404);
  });

  test('unknown routes and known routes with another method are 404 (as the real host answers), methods are case-insensitive', async () => {
    expect((await get('/api/nothing-here')).status).toBe(404);
    expect((await get('/elsewhere/hello')).status).toBe(404);
    expect((await get('/api/items/42', { method: 'DELETE' })).status).toBe(404);
    expect((await get('/api/echo')).status).toBe(404);
    expect((await get('/API/Items/Latest')).status).toBe(200);
    // No methods in the registration: the library's trigger default (GET, POST).
    expect(await (await get('/api/any', { method: 'POST' })).text()).toBe('POST');
    expect((await get('/api/any', { method: 'PUT' })).status).toBe(404);
  });

  test('GET / serves the home page like Core Tools', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('Your Functions 4.0 app is up and running');
    expect((await get('/', { method: 'POST' })).status).toBe(404);
  });
});

describe('responses', () => {
  test('HttpResponseInit: status, headers, several cookies and a text body', async () => {
    const response = await get('/api/echo', { method: 'POST', body: 'hello there' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo-length')).toBe('11');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.getSetCookie()).toEqual([
      'a=1; Path=/; HttpOnly',
      'b=2; Max-Age=60; SameSite=Strict',
    ]);
    expect(await response.text()).toBe('hello there');
  });

  test('several Set-Cookie headers and cookies all reach the client', async () => {
    const response = await get('/api/many-cookies');
    expect(response.headers.get('x-kind')).toBe('headers');
    expect(response.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2; Path=/', 'third=3']);
  });

  test('jsonBody, request.json(), Buffer and stream bodies, 204', async () => {
    const json = await get('/api/echo-json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ received: { a: [1, 2] } });

    const binary = await get('/api/binary');
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 254, 255]));

    const streamed = await get('/api/streamed');
    expect(streamed.status).toBe(202);
    expect(await streamed.text()).toBe('part1-part2');

    const empty = await get('/api/no-content');
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');

    // A handler that returns nothing: the real host's default, 204 with an empty body.
    const nothing = await get('/api/returns-nothing');
    expect(nothing.status).toBe(204);
    expect(await nothing.text()).toBe('');
  });

  test('bodies over the limit get 413; smaller ones pass', async () => {
    expect((await get('/api/echo', { method: 'POST', body: 'x'.repeat(maxBody + 1) })).status).toBe(413);
    expect((await get('/api/echo', { method: 'POST', body: 'x'.repeat(maxBody) })).status).toBe(201);
  });
});

describe('failures never take the host down', () => {
  test('a throwing handler gives 500 without its message or stack, and the host keeps serving', async () => {
    const response = await get('/api/throws');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain(' at ');
    expect(
      lines.some((l) => /^Executed 'Functions\.throws' \(Failed, Id=[0-9a-f-]+, Duration=\d+ms\)$/.test(l)),
    ).toBe(true);
    expect((await get('/api/items/1')).status).toBe(200);
  });

  test('an output binding that cannot be delivered fails the invocation with 500, never a silent success', async () => {
    const response = await get('/api/broken-output', { method: 'POST' });
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('must not be seen');
    expect(
      lines.some((l) => /broken-output.*output binding "serviceBusOutput[0-9a-f]*" \(serviceBus\)/.test(l)),
    ).toBe(true);
  });

  test('a hanging handler fails at functionTimeout with 500 and the host keeps serving', async () => {
    const started = Date.now();
    const response = await get('/api/hangs');
    const elapsed = Date.now() - started;
    expect(response.status).toBe(500);
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(6_000);
    expect(
      lines.some((l) => l.includes('Timeout value of 00:00:02 was exceeded by function: Functions.hangs')),
    ).toBe(true);
    expect((await get('/api/items/2')).status).toBe(200);
  });
});

describe('host behaviour', () => {
  test('Core Tools-style invocation logs, user logs prefixed with the function name', async () => {
    const body = (await (await get('/api/hello/logline')).json()) as { invocationId: string };
    const id = body.invocationId;
    expect(lines).toContain(
      `Executing 'Functions.hello' (Reason='This function was programmatically called via the host APIs.', Id=${id})`,
    );
    expect(lines).toContain('[hello] hello logline');
    expect(
      lines.some((l) =>
        new RegExp(`^Executed 'Functions\\.hello' \\(Succeeded, Id=${id}, Duration=\\d+ms\\)$`).test(l),
      ),
    ).toBe(true);
  });

  test('appStart, preInvocation and postInvocation hooks run', async () => {
    const observations = (await (await get('/api/observations')).json()) as Observations;
    expect(observations.appStarted).toBe(true);
    expect(observations.hookCalls.pre).toBeGreaterThan(0);
    // post counts only when it sees the hookData pre wrote; this very call has not reached its post hook yet.
    expect(observations.hookCalls.post).toBeGreaterThan(0);
    expect(observations.hookCalls.post).toBeLessThan(observations.hookCalls.pre);
  });

  test('the every-second timer fires with the timer input', async () => {
    const observations = await waitFor('two timer runs', async () => {
      const o = (await (await get('/api/observations')).json()) as Observations;
      return o.timer.length >= 2 ? o : undefined;
    });
    expect(observations.timer[0]).toMatchObject({ isPastDue: false, hasSchedule: true });
    const [first, second] = observations.timer;
    expect(Date.parse(second?.at ?? '') - Date.parse(first?.at ?? '')).toBeGreaterThanOrEqual(900);
  });

  test('runOnStartup runs a timer once at start even when its schedule is far away', async () => {
    const runs = await waitFor('the startup run', async () => {
      const o = (await (await get('/api/observations')).json()) as Observations;
      return o.startupRuns > 0 ? o.startupRuns : undefined;
    });
    expect(runs).toBe(1);
  });

  test('log hooks see user logs and may rewrite them', async () => {
    expect((await get('/api/hello/REDACT-ME')).status).toBe(200);
    expect(lines).toContain('[hello] [redacted by log hook]');
    expect(lines.some((l) => l.includes('hello REDACT-ME'))).toBe(false);
  });

  test('a taken port is reported by number', async () => {
    await expect(
      startHost({ appEntry, port: host.port, settings: settings(), log: () => undefined }),
    ).rejects.toThrow(`port ${host.port} is already in use`);
  });
});

describe('keys', () => {
  let secured: RunningHost;
  beforeAll(async () => {
    secured = await startHost({
      appEntry,
      port: 0,
      settings: settings(),
      enforceKeys: { masterKey: 'master-secret', functionKey: 'function-secret' },
      log: () => undefined,
    });
  });
  afterAll(() => secured?.close());

  test('function level takes the function or master key (header or code); admin only the master key', async () => {
    const call = (path: string, init?: RequestInit): Promise<number> =>
      fetch(`${secured.url}${path}`, init).then((r) => r.status);
    expect(await call('/api/secured/function')).toBe(401);
    expect(await call('/api/secured/function?code=wrong')).toBe(401);
    expect(await call('/api/secured/function?code=function-secret')).toBe(200);
    expect(await call('/api/secured/function', { headers: { 'x-functions-key': 'master-secret' } })).toBe(
      200,
    );
    expect(await call('/api/secured/admin?code=function-secret')).toBe(401);
    expect(await call('/api/secured/admin', { headers: { 'x-functions-key': 'master-secret' } })).toBe(200);
    expect(await call('/api/items/latest')).toBe(200);
  });

  test('keys are not checked by default, like Core Tools', async () => {
    expect((await get('/api/secured/admin')).status).toBe(200);
  });
});

describe('host.json functions (one host running a part of the app)', () => {
  test('only the Functions listed are loaded: the others have no route', async () => {
    const part = await startHost({
      appEntry,
      port: 0,
      settings: settings(),
      hostJsonPath: writeTestHostJson({ functions: ['hello'] }),
      log: () => undefined,
    });
    try {
      expect(part.registrations.map((r) => r.name)).toEqual(['hello']);
      expect((await fetch(`${part.url}/api/hello/ada`)).status).toBe(200);
      expect((await fetch(`${part.url}/api/items/latest`)).status).toBe(404);
    } finally {
      await part.close();
    }
  });
});

describe('registrations', () => {
  test('every registration comes with its full binding metadata and handler', () => {
    const registrations = loadRegistrations(appEntry);
    const byName = new Map(registrations.map((r) => [r.name, r]));
    expect(byName.get('item-by-id')?.trigger).toMatchObject({
      type: 'httpTrigger',
      route: 'items/{id:int}',
      methods: ['GET'],
      authLevel: 'anonymous',
    });
    expect(byName.get('admin-key')?.trigger.authLevel).toBe('admin');
    expect(byName.get('sb-record')?.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      topicName: 'provisioning',
      subscriptionName: 'health',
      connection: 'ServiceBusConnection',
    });
    expect(byName.get('sb-always-fails')?.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      topicName: '%HOST_TEST_TOPIC%',
      subscriptionName: 'failing',
    });
    expect(byName.get('sb-batch')?.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      queueName: 'host-test-batch',
      cardinality: 'many',
    });
    expect(byName.get('tick')?.trigger).toMatchObject({ type: 'timerTrigger', schedule: '*/1 * * * * *' });
    expect(byName.get('hello')?.bindings.$return).toMatchObject({ type: 'http', direction: 'out' });
    expect(registrations.every((r) => typeof r.handler === 'function')).toBe(true);
    expect(registrations).toHaveLength(host.registrations.length);
  });

  test('a missing app entry names the file', () => {
    expect(() => loadRegistrations('dist/does-not-exist.js')).toThrow(/does-not-exist\.js does not exist/);
  });
});
