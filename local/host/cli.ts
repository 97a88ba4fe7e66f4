/**
 * `node dist/local/host/cli.js --app <entry file | app folder> [--port 7071] [--settings local.settings.json]
 * [--enforce-keys] [--allow-unsupported-bindings]`
 *
 * Runs the local Functions host like `func start`: app settings from local.settings.json (or the
 * example file) with environment variables taking precedence, the function list, then `Host started`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ensureError } from '../../shared/domain/errors';
import { defaultHostPort, describeFunctions, startHost, type RunningHost } from './host';
import type { CorsOptions } from './http-server';
import { parsePortOption } from '../ports';

export interface LocalSettings {
  /** `Values`, with variables already in the environment taking precedence. */
  values: Record<string, string>;
  /** `Host.LocalHttpPort`. */
  localHttpPort?: number;
  /** `Host.CORS` (comma-separated origins) and `Host.CORSCredentials`. */
  cors?: CorsOptions;
}

/**
 * Reads a local.settings.json-shaped file as Core Tools does.
 * @throws Error when the file is not valid JSON or `Values` is not an object.
 */
export function readLocalSettings(file: string, env: NodeJS.ProcessEnv = process.env): LocalSettings {
  let document: { Values?: unknown; Host?: unknown };
  try {
    document = JSON.parse(readFileSync(file, 'utf8')) as { Values?: unknown; Host?: unknown };
  } catch (err) {
    throw new Error(`cannot read ${file}: ${ensureError(err).message}`);
  }
  const values = document.Values ?? {};
  if (typeof values !== 'object' || values === null) throw new Error(`${file}: "Values" must be an object`);
  const settings: LocalSettings = { values: {} };
  for (const [name, value] of Object.entries(values)) {
    settings.values[name] = env[name] ?? String(value);
  }
  const host = (typeof document.Host === 'object' && document.Host !== null ? document.Host : {}) as Record<
    string,
    unknown
  >;
  if (typeof host.LocalHttpPort === 'number') settings.localHttpPort = host.LocalHttpPort;
  if (typeof host.CORS === 'string' && host.CORS.trim() !== '') {
    settings.cors = {
      allowedOrigins: host.CORS.split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
      supportCredentials: host.CORSCredentials === true,
    };
  }
  return settings;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('local-host')
    .description('Runs the compiled Functions app locally: HTTP, Service Bus and timer triggers.')
    .requiredOption(
      '--app <path>',
      'compiled app entry file, or an app folder whose package.json "main" is a file or a glob',
      'dist/functions/index.js',
    )
    .option('--port <port>', 'HTTP port (0 = any free port)', parsePortOption, defaultHostPort)
    .option(
      '--settings <file>',
      'local.settings.json-shaped file (default: local.settings.json, else local.settings.example.json)',
    )
    .option('--host-json <file>', 'host.json to use (default: the nearest one above the app)')
    .option(
      '--enforce-keys',
      'require function keys (FUNCTIONS_MASTER_KEY / FUNCTIONS_FUNCTION_KEY, generated when unset)',
      false,
    )
    .option(
      '--allow-unsupported-bindings',
      'start even if a function uses a binding the host does not serve (that function then fails every invocation)',
      false,
    )
    .parse(process.argv);
  const options = program.opts<{
    app: string;
    port: number;
    settings?: string;
    hostJson?: string;
    enforceKeys: boolean;
    allowUnsupportedBindings: boolean;
  }>();

  const settingsFile =
    options.settings ??
    ['local.settings.json', 'local.settings.example.json'].find((f) => existsSync(path.resolve(f)));
  const local: LocalSettings = settingsFile ? readLocalSettings(path.resolve(settingsFile)) : { values: {} };
  // Like Core Tools, Host.LocalHttpPort is the default when --port is not given.
  const port =
    program.getOptionValueSource('port') === 'default' ? (local.localHttpPort ?? options.port) : options.port;

  let enforceKeys: { masterKey: string; functionKey?: string } | undefined;
  if (options.enforceKeys) {
    enforceKeys = {
      masterKey: process.env.FUNCTIONS_MASTER_KEY ?? randomBytes(24).toString('base64url'),
      functionKey: process.env.FUNCTIONS_FUNCTION_KEY ?? randomBytes(24).toString('base64url'),
    };
  }

  // A handler's stray exception is logged, not fatal: one bad function must not stop the others.
  process.on('uncaughtException', (err) =>
    console.error(`[host] Uncaught exception in the app: ${err.stack ?? err.message}`),
  );

  let host: RunningHost;
  try {
    host = await startHost({
      appEntry: options.app,
      port,
      settings: local.values,
      cors: local.cors,
      hostJsonPath: options.hostJson,
      enforceKeys,
      allowUnsupportedBindings: options.allowUnsupportedBindings,
      log: (line) => console.log(line),
    });
  } catch (err) {
    console.error(`The Functions host could not start: ${ensureError(err).message}`);
    process.exit(1);
  }

  console.log('');
  console.log('Functions:');
  console.log('');
  for (const line of describeFunctions(
    host.registrations,
    `http://localhost:${host.port}`,
    host.hostSettings.routePrefix,
    host.disabled,
  )) {
    console.log(line);
  }
  console.log('');
  if (enforceKeys) {
    console.log(
      `Keys are enforced. Master key: ${enforceKeys.masterKey}  Function key: ${enforceKeys.functionKey}`,
    );
  }
  if (settingsFile) console.log(`Settings from ${settingsFile}`);
  console.log(`Host started (http://localhost:${host.port})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the Functions host…`);
    host.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`Stopping failed: ${ensureError(err).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) void main();
