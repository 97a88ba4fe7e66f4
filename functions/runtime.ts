import { loadConfig, type TriageConfig } from '../shared/config';
import { createRuntime, type Runtime } from '../shared/composition';
import type { TriageApp } from '../shared/app/index';

let runtime: Runtime | undefined;
let config: TriageConfig | undefined;

/**
 * The validated settings, read once per process.
 * @throws Error naming every missing or invalid setting.
 */
export function getConfig(): TriageConfig {
  config ??= loadConfig(process.env);
  return config;
}

/** The use-cases, wired once per process; resolves after tables and containers exist. */
export async function getApp(): Promise<TriageApp> {
  const current = (runtime ??= createRuntime(getConfig(), (level, message) => {
    const line = `[triage] ${message}`;
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  }));
  try {
    await current.ready;
  } catch (err: unknown) {
    // Storage unreachable at cold start must not poison the process for good: the next call builds afresh.
    if (runtime === current) {
      runtime = undefined;
      void current.close().catch(() => undefined);
    }
    throw err;
  }
  return current.app;
}

/** For tests that load handlers in-process. */
export async function resetRuntime(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  config = undefined;
  await current?.close();
}
