/**
 * `npm run bench:startup`: how long `npm start` takes, as a user runs it, from the command to a healthy
 * `GET /api/health` — on a built tree (dist/ current: no compiler run) and on a fresh clone (no dist/:
 * a full build first; node_modules linked from this tree, as after `npm ci`). Medians of BENCH_RUNS (3).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachLine } from '../../local/child-process';

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const freePorts = ['--port', '0', '--azurite-port', '0', '--servicebus-port', '0', '--metrics-port', '0'];
freePorts.push('--issuer-port', '0'); // the local token issuer

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Runs `npm start` in `cwd` and resolves with the milliseconds until /api/health answered 200.
 * @throws Error with the output when it does not become healthy within 90 s.
 */
async function timeToHealthy(cwd: string): Promise<{ ms: number; built: boolean }> {
  const started = performance.now();
  const child = spawn('npm', ['start', '--', ...freePorts], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  let hostUrl: string | undefined;
  const onLine = (line: string): void => {
    output.push(line);
    hostUrl ??= /Functions host\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`not healthy within 90 s:\n${output.join('\n')}`);
      // Poll the host as soon as it prints its port (before the stack's own ready line).
      const url = hostUrl ?? /Host started \((http:\/\/localhost:\d+)\)/.exec(output.join('\n'))?.[1];
      if (url) {
        const ok = await fetch(`${url.replace('localhost', '127.0.0.1')}/api/health`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok)
          return { ms: performance.now() - started, built: output.some((l) => l.startsWith('Built in')) };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    // npm runs the stack in its own process group: stop the whole group like Ctrl-C does.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve(undefined);
      else child.once('exit', resolve);
    });
  }
}

async function main(): Promise<void> {
  const built: number[] = [];
  const fresh: number[] = [];
  // Make sure this tree is built, so the built-tree runs really start without a compile.
  execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  console.log(`npm start → healthy GET /api/health, ${runs} runs each\n`);
  for (let i = 1; i <= runs; i++) {
    const a = await timeToHealthy(repoRoot);
    built.push(a.ms);
    console.log(
      `  built tree, run ${i}/${runs}: ${(a.ms / 1000).toFixed(2)} s${a.built ? ' (it rebuilt!)' : ''}`,
    );
    const clone = mkdtempSync(path.join(os.tmpdir(), 'triage-clone-'));
    try {
      execFileSync('git', ['clone', '--quiet', '--local', repoRoot, clone], { stdio: 'ignore' });
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
      const b = await timeToHealthy(clone);
      fresh.push(b.ms);
      console.log(
        `  fresh clone, run ${i}/${runs}: ${(b.ms / 1000).toFixed(2)} s${b.built ? ' (full build)' : ''}`,
      );
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  }
  console.log(`\nmedian, built tree:  ${(median(built) / 1000).toFixed(2)} s (target ≤ 5 s)`);
  console.log(`median, fresh clone: ${(median(fresh) / 1000).toFixed(2)} s (target ≤ 10 s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
