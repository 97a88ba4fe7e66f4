/**
 * `npm start` and identity: by default a token issuer runs and the API wants its tokens (`npm run -s
 * token` mints one); `--auth off` keeps the open mode and says so loudly.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { forEachLine } from '../../local/child-process';
import { waitFor } from '../support/host-fixture';

const root = path.resolve(__dirname, '..', '..');
const ports = ['--port', '--azurite-port', '--servicebus-port', '--metrics-port', '--issuer-port'].flatMap(
  (option) => [option, '0'],
);

/** Runs `fn` against a started `npm start` (compiled entry), then stops it with SIGINT. */
async function withStart(args: string[], fn: (output: string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'local', 'start.js'), ...ports, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  forEachLine(child.stdout, (line) => lines.push(line));
  forEachLine(child.stderr, (line) => lines.push(line));
  try {
    await waitFor('the ready line', () => lines.find((l) => /^Ready in/.test(l)), 60_000);
    await fn(lines.join('\n'));
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    child.kill('SIGKILL');
  }
}

const hostOf = (output: string) => /Functions host\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;

test('by default the issuer runs, the API wants a token, and npm run -s token mints one it accepts', async () => {
  await withStart([], async (output) => {
    const issuer = /Token issuer\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    expect(issuer).toBeDefined();
    const host = hostOf(output);
    expect((await fetch(`${host}/api/requests`)).status).toBe(401);
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '-s', 'token', '--', '--issuer', issuer!, '--role', 'operator'],
      { cwd: root },
    );
    const r = await fetch(`${host}/api/requests`, { headers: { authorization: `Bearer ${stdout.trim()}` } });
    expect(r.status).toBe(200);
  });
}, 90_000);

test('--auth off: open mode, printed loudly', async () => {
  await withStart(['--auth', 'off'], async (output) => {
    expect(output).toMatch(/AUTHENTICATION IS OFF/);
    expect(output).toMatch(/TRIAGE_AUTH_MODE=off: authentication is OFF/); // the app's own warning
    expect(output).not.toMatch(/Token issuer/);
    expect((await fetch(`${hostOf(output)}/api/requests`)).status).toBe(200);
  });
}, 90_000);
