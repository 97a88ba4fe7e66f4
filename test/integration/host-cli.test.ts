/**
 * The host's command line, run as a child process the way `npm start` runs it: settings file with
 * environment precedence, the Core Tools-style function list, resilience to a leaked rejection,
 * clean stop on SIGTERM, and a clear failure on a taken port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';
import {
  ensureFixtureBuilt,
  hostCliEntry,
  hostTestEntities,
  hostTestSettings,
  repoRoot,
  waitFor,
} from '../support/host-fixture';

interface RunningCli {
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
}

let appEntry: string;
let broker: RunningBroker;
let settingsFile: string;

function runCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [hostCliEntry, '--app', appEntry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let pending = '';
  const collect = (chunk: Buffer): void => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    output.push(...parts);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exit };
}

beforeAll(async () => {
  appEntry = await ensureFixtureBuilt();
  broker = await startBroker({ topology, port: 0, metricsPort: null, extraEntities: hostTestEntities });
  const folder = mkdtempSync(path.join(os.tmpdir(), 'host-cli-'));
  settingsFile = path.join(folder, 'local.settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      IsEncrypted: false,
      Values: {
        ServiceBusConnection: broker.connectionString,
        ...hostTestSettings,
        FROMFILE: 'file value',
        OVERRIDDEN: 'file value',
      },
      Host: { LocalHttpPort: 7071, CORS: 'https://ui.example' },
    }),
  );
}, 60_000);

afterAll(async () => {
  await broker?.close();
});

describe('a running CLI host', () => {
  let cli: RunningCli;
  let baseUrl: string;

  beforeAll(async () => {
    cli = runCli(['--port', '0', '--settings', settingsFile], { OVERRIDDEN: 'env value' });
    const started = await waitFor(
      'Host started',
      () => cli.output.find((l) => l.startsWith('Host started')),
      20_000,
    );
    baseUrl = `http://127.0.0.1:${/localhost:(\d+)/.exec(started)?.[1]}`;
  }, 30_000);

  afterAll(async () => {
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exit;
    }
  });

  test('prints the functions like Core Tools, then Host started', () => {
    const start = cli.output.indexOf('Functions:');
    const end = cli.output.findIndex((l) => l.startsWith('Host started'));
    expect(start).toBeGreaterThanOrEqual(0);
    const listing = cli.output.slice(start, end);
    const port = /:(\d+)$/.exec(baseUrl)?.[1];
    expect(listing).toContain(`  hello: [GET,POST] http://localhost:${port}/api/hello/{name?}`);
    expect(listing).toContain(`  item-by-id: [GET] http://localhost:${port}/api/items/{id:int}`);
    expect(listing).toContain('  sb-record: serviceBusTrigger provisioning/health');
    expect(listing).toContain('  sb-always-fails: serviceBusTrigger host-test/failing');
    expect(listing).toContain('  sb-batch: serviceBusTrigger host-test-batch');
    expect(listing).toContain('  tick: timerTrigger */1 * * * * *');
  });

  test('app settings come from the settings file; environment variables win', async () => {
    const read = async (name: string): Promise<unknown> =>
      ((await (await fetch(`${baseUrl}/api/settings/${name}`)).json()) as { value: unknown }).value;
    expect(await read('FROMFILE')).toBe('file value');
    expect(await read('OVERRIDDEN')).toBe('env value');
  });

  test('Host.CORS from the settings file: allowed origins get CORS headers and preflights', async () => {
    const allowed = await fetch(`${baseUrl}/api/items/latest`, { headers: { origin: 'https://ui.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    const other = await fetch(`${baseUrl}/api/items/latest`, {
      headers: { origin: 'https://other.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${baseUrl}/api/echo`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://ui.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  test('a forgotten rejected promise in a handler is logged and the host keeps serving', async () => {
    expect(await (await fetch(`${baseUrl}/api/leaks-rejection`)).text()).toBe('ok');
    await waitFor('the rejection log line', () =>
      cli.output.find((l) => l.includes('Unhandled promise rejection in the app: forgotten rejection')),
    );
    expect((await fetch(`${baseUrl}/api/items/7`)).status).toBe(200);
  });

  test('stops cleanly on SIGTERM', async () => {
    cli.child.kill('SIGTERM');
    const code = await Promise.race([
      cli.exit,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000)),
    ]);
    expect(code).toBe(0);
  }, 20_000);
});

test('a taken port fails the start with the port in the message', async () => {
  const first = runCli(['--port', '0', '--settings', settingsFile]);
  const started = await waitFor(
    'Host started',
    () => first.output.find((l) => l.startsWith('Host started')),
    20_000,
  );
  const port = /localhost:(\d+)/.exec(started)?.[1] ?? '';
  try {
    const second = runCli(['--port', port, '--settings', settingsFile]);
    expect(await second.exit).toBe(1);
    expect(second.output.join('\n')).toContain(`port ${port} is already in use`);
  } finally {
    first.child.kill('SIGTERM');
    await first.exit;
  }
}, 40_000);
