import { spawn, type ChildProcess } from 'node:child_process';

/** Calls `onLine` for every line a child process writes (the last unterminated line included, at its end). */
export function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline).replace(/\r$/, ''));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
    buffered = '';
  });
}

export interface SpawnUntilReadyOptions {
  /** Names the child in log lines and errors. */
  name: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each output line until the child is ready: `true` = ready, an Error = it failed to start. */
  readiness: (line: string) => true | Error | undefined;
  /** Receives every output line, before and after readiness. */
  log?: (line: string) => void;
  timeoutInMs: number;
}

/**
 * Runs a Node script as a child process and resolves once its output says it is ready.
 * @throws Error with the child's recent output when it fails, exits or times out first (the child is killed).
 */
export async function spawnUntilReady(
  script: string,
  args: string[],
  options: SpawnUntilReadyOptions,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, ...args], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  const withOutput = (message: string): Error => new Error(`${message}:\n${recent.join('\n')}`);
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(withOutput(`${options.name} did not start within ${options.timeoutInMs} ms`)),
        options.timeoutInMs,
      );
      const onLine = (line: string): void => {
        options.log?.(line);
        if (settled) return;
        recent.push(line);
        if (recent.length > 50) recent.shift();
        const verdict = options.readiness(line);
        if (verdict === true) settle();
        else if (verdict instanceof Error) settle(verdict);
      };
      forEachLine(child.stdout, onLine);
      forEachLine(child.stderr, onLine);
      child.once('error', (err) => settle(err));
      child.once('exit', (code, signal) =>
        settle(withOutput(`${options.name} exited before it was ready (code ${code}, signal ${signal})`)),
      );
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

/** Stops a child process: SIGTERM, then SIGKILL if it has not exited after a grace period. */
export async function stopChild(child: ChildProcess, graceInMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceInMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
