/**
 * `npm start` as a user runs it, on the tree `npm test` has built: no compiler run (dist/ is current),
 * then Azurite, the broker and the host start, print where they listen, serve the app, and all three stop
 * on Ctrl-C. (The start-up figures come from `npm run bench:startup`.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { forEachLine } from '../../local/child-process';
import { waitFor } from '../support/host-fixture';

const root = path.resolve(__dirname, '..', '..');
const startEntry = path.join(root, 'dist', 'local', 'start.js');

/** `npm start -- <args>`, in its own process group so that Ctrl-C (SIGINT to the group) reaches it as in a terminal. */
function launch(args: string[]): { child: ChildProcess; output: string[] } {
  if (!existsSync(startEntry)) throw new Error('run `npm run build` first (npm test does)');
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  forEachLine(child.stdout, (line) => output.push(line));
  forEachLine(child.stderr, (line) => output.push(line));
  return { child, output };
}

/** Signals the process group npm start runs in (it may be gone already). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group has exited
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const freePorts = ['--port', '0', '--azurite-port', '0', '--servicebus-port', '0', '--metrics-port', '0'];
freePorts.push('--issuer-port', '0'); // the local token issuer (test/e2e/start-auth.test.ts covers it)

describe('npm start', () => {
  test('starts the three services, serves the app, and stops them all on SIGINT', async () => {
    const { child, output } = launch(freePorts);
    try {
      const ready = await waitFor(
        'the ready line',
        () => output.find((l) => /^Ready in [\d.]+ s/.test(l)),
        60_000,
      );
      console.info(`npm start: ${ready}`);
      // The tree is built: npm start must not run the compiler.
      expect(output).toContain('dist/ is up to date: starting without a build');
      const hostUrl = /Functions host\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output.join('\n'))?.[1];
      const metricsUrl = /entity counts: (http:\/\/\S+)/.exec(output.join('\n'))?.[1];
      const tablePort = Number(/table :(\d+)/.exec(output.join('\n'))?.[1]);
      expect(hostUrl).toBeDefined();
      expect(output.join('\n')).toMatch(/in memory/);

      // Every tier Function is registered from the topology and listed by the host.
      expect(output.join('\n')).toMatch(/provision-health/);
      expect(output.join('\n')).toMatch(/migrate-standard/);

      const health = await fetch(`${hostUrl}/api/health`);
      expect(health.status).toBe(200);
      const entities = (await (await fetch(metricsUrl!)).json()) as Array<{ path: string }>;
      expect(entities.map((e) => e.path)).toContain('provisioning/Subscriptions/health');
      expect(await isListening(tablePort)).toBe(true);

      killGroup(child, 'SIGINT');
      // npm re-raises the Ctrl-C it forwarded once the stack has stopped cleanly.
      const code = await exited(child);
      expect(code === 0 || child.signalCode === 'SIGINT').toBe(true);
      expect(output.join('\n')).toMatch(/Stopped\./);
      expect(await isListening(tablePort)).toBe(false);
      expect(await isListening(Number(new URL(hostUrl!).port))).toBe(false);
    } finally {
      killGroup(child, 'SIGKILL');
    }
  });

  test('names the taken port and the option that moves it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as net.AddressInfo).port;
    try {
      const { child, output } = launch([
        '--port',
        String(takenPort),
        '--azurite-port',
        '0',
        '--servicebus-port',
        '0',
        '--metrics-port',
        '0',
      ]);
      expect(await exited(child)).toBe(1);
      expect(output.join('\n')).toContain(`port ${takenPort} (Functions host) is already in use`);
      expect(output.join('\n')).toContain('--port');
    } finally {
      blocker.close();
    }
  });
});
