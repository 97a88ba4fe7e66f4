/**
 * Helpers for the local host's integration tests: the compiled fixture app, a test host.json, and
 * waiting on observable conditions with a deadline.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
const fixtureSource = path.join(repoRoot, 'test', 'fixtures', 'host-app', 'index.ts');
/** The compiled fixture app (built by `npm run build`). */
export const fixtureAppEntry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'host-app', 'index.js');

/** The compiled host CLI (for tests that run the host as a child process, like `npm start` does). */
export const hostCliEntry = path.join(repoRoot, 'dist', 'local', 'host', 'cli.js');

function compiledPairs(): Array<[string, string]> {
  const hostSources = path.join(repoRoot, 'local', 'host');
  const pairs: Array<[string, string]> = [[fixtureSource, fixtureAppEntry]];
  for (const file of readdirSync(hostSources).filter((f) => f.endsWith('.ts'))) {
    pairs.push([
      path.join(hostSources, file),
      path.join(repoRoot, 'dist', 'local', 'host', file.replace(/\.ts$/, '.js')),
    ]);
  }
  return pairs;
}

function isStale(): boolean {
  return compiledPairs().some(
    ([source, output]) => !existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs,
  );
}

/**
 * Builds the project once when the compiled fixture or host is missing or older than its source.
 * Test files run in parallel workers, so one build at a time (a lock folder), the others wait.
 * @throws Error when the build does not produce the fixture.
 */
export async function ensureFixtureBuilt(): Promise<string> {
  const lock = path.join(os.tmpdir(), 'triage-host-fixture-build.lock');
  const deadline = Date.now() + 120_000;
  while (isStale()) {
    try {
      mkdirSync(lock);
    } catch {
      // Another worker builds; a lock older than the deadline is a crashed build's leftover.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another worker to build the fixture');
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
        cwd: repoRoot,
        stdio: 'pipe',
      });
    } catch {
      // Type errors elsewhere in the tree still emit; what matters is the fixture's output below.
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    break;
  }
  if (!existsSync(fixtureAppEntry)) throw new Error(`${fixtureAppEntry} was not built (run npm run build)`);
  return fixtureAppEntry;
}

/** The broker entities the fixture's Service Bus functions read, besides the topology's. */
export const hostTestEntities = {
  topics: [
    {
      name: 'host-test',
      subscriptions: [
        { name: 'failing', filter: { kind: 'fail' }, settings: { maxDeliveryCount: 3 } },
        { name: 'slow', filter: { kind: 'slow' } },
        { name: 'hangs', filter: { kind: 'hang' }, settings: { maxDeliveryCount: 5 } },
        { name: 'long', filter: { kind: 'long' }, settings: { lockDuration: 'PT2S' } },
      ],
    },
  ],
  // Queues work too: the batch function reads one.
  queues: [{ name: 'host-test-batch' }],
};

/** App settings the fixture's triggers reference (`%HOST_TEST_TOPIC%`). */
export const hostTestSettings = { HOST_TEST_TOPIC: 'host-test' };

/** Writes a host.json for one test run into a fresh temporary folder and returns its path. */
export function writeTestHostJson(document: Record<string, unknown>): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'host-test-'));
  const file = path.join(folder, 'host.json');
  writeFileSync(file, JSON.stringify({ version: '2.0', ...document }, null, 2));
  return file;
}

/**
 * Polls `probe` until it returns a value that is not undefined, or fails after the deadline.
 * @throws Error with `what` and the last probe error when the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutInMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutInMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The fidelity fixture: a `func init`-shaped app folder (package.json "main" is a glob). */
export const fidelityAppFolder = path.join(repoRoot, 'test', 'fixtures', 'fidelity-app');

function newestMtime(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Builds the fidelity fixture (its own tsconfig, output in its own dist/) when a source is newer
 * than the build, one worker at a time.
 * @throws Error when the build fails.
 */
export async function ensureFidelityAppBuilt(): Promise<string> {
  const stamp = path.join(fidelityAppFolder, 'dist', '.tsbuildinfo');
  const stale = (): boolean =>
    !existsSync(stamp) || statSync(stamp).mtimeMs < newestMtime(path.join(fidelityAppFolder, 'src'));
  const lock = path.join(os.tmpdir(), 'triage-fidelity-fixture-build.lock');
  const deadline = Date.now() + 120_000;
  while (stale()) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error('timed out waiting for another worker to build the fixture');
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', fidelityAppFolder], {
        cwd: repoRoot,
        stdio: 'pipe',
      });
      // The stamp must move even when tsc found nothing to emit.
      const now = new Date();
      utimesSync(stamp, now, now);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  await ensureFixtureBuilt();
  return fidelityAppFolder;
}

/** Entities the fidelity fixture's Service Bus functions and outputs use. */
export const fidelityEntities = {
  queues: [
    { name: 'fidelity-orders' },
    { name: 'fidelity-poison', settings: { maxDeliveryCount: 2 } },
    { name: 'fidelity-deferral' },
    { name: 'fidelity-broken', settings: { maxDeliveryCount: 2 } },
  ],
  topics: [{ name: 'fidelity-events', subscriptions: [{ name: 'all', filter: null }] }],
};
