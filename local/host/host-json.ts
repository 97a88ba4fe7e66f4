/** The parts of host.json the local host honours, with the real host's defaults. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTimeSpanInMs } from '../../shared/domain/duration';

export interface HostSettings {
  /** Where host.json was read from (undefined: defaults only). */
  path?: string;
  /** undefined = no limit (`-1`). */
  functionTimeoutInMs?: number;
  routePrefix: string;
  /**
   * host.json `functions`: the only Functions this host loads (undefined: all). `AzureFunctionsJobHost__functions__0`,
   * `__1`, … override it, as in the real host (one app, several hosts each running a part: a tier on its own
   * instances, as Flex Consumption's per-function scaling does).
   */
  functions?: string[];
  serviceBus: {
    maxConcurrentCalls: number;
    maxAutoLockRenewalDurationInMs: number;
    prefetchCount: number;
    autoCompleteMessages: boolean;
    maxMessageBatchSize: number;
  };
}

const defaultFunctionTimeoutInMs = 30 * 60_000;

/** The nearest host.json at or above `fromDirectory`, or undefined. */
export function findHostJson(fromDirectory: string): string | undefined {
  let directory = path.resolve(fromDirectory);
  for (;;) {
    const candidate = path.join(directory, 'host.json');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function numberOr(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`host.json ${what} must be a non-negative number`);
  }
  return value;
}

/**
 * Reads host.json (or the defaults when `file` is undefined).
 * @throws Error when the file is not JSON; RangeError when a value is out of range or a time span is malformed.
 */
export function readHostSettings(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): HostSettings {
  let document: Record<string, unknown> = {};
  if (file !== undefined) {
    try {
      document = record(JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const extensions = record(document.extensions);
  const http = record(extensions.http);
  const serviceBus = record(extensions.serviceBus);
  const timeout = document.functionTimeout;
  let functionTimeoutInMs: number | undefined = defaultFunctionTimeoutInMs;
  if (typeof timeout === 'string') {
    functionTimeoutInMs = timeout.trim() === '-1' ? undefined : parseTimeSpanInMs(timeout);
  }
  const renewal = serviceBus.maxAutoLockRenewalDuration;
  const settings: HostSettings = {
    functionTimeoutInMs,
    routePrefix: typeof http.routePrefix === 'string' ? http.routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    serviceBus: {
      maxConcurrentCalls: Math.max(1, numberOr(serviceBus.maxConcurrentCalls, 16, 'maxConcurrentCalls')),
      maxAutoLockRenewalDurationInMs: typeof renewal === 'string' ? parseTimeSpanInMs(renewal) : 5 * 60_000,
      prefetchCount: numberOr(serviceBus.prefetchCount, 0, 'prefetchCount'),
      autoCompleteMessages: serviceBus.autoCompleteMessages !== false,
      maxMessageBatchSize: Math.max(1, numberOr(serviceBus.maxMessageBatchSize, 1000, 'maxMessageBatchSize')),
    },
  };
  const functions = functionsList(document.functions, env);
  if (functions) settings.functions = functions;
  if (file !== undefined) settings.path = file;
  return settings;
}

/** The `functions` list: the environment's `AzureFunctionsJobHost__functions__N` entries, else host.json's. */
function functionsList(value: unknown, env: NodeJS.ProcessEnv): string[] | undefined {
  const fromEnv = Object.keys(env)
    .map((name) => /^AzureFunctionsJobHost__functions__(\d+)$/i.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => env[m[0]]!.trim())
    .filter((name) => name !== '');
  if (fromEnv.length > 0) return fromEnv;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new RangeError('host.json functions must be an array of Function names');
  }
  return value;
}
