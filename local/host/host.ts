/**
 * The local Functions host: loads the compiled app through `@azure/functions-core`, serves its HTTP
 * triggers, runs its Service Bus and timer triggers, and invokes every function the way the Node.js
 * worker does (programming model, hooks, function timeout, Core Tools-style logs).
 */
import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ensureError } from '../../shared/domain/errors';
import { UnsupportedBindingError, unsupportedBindingsByFunction } from './bindings';
import { findHostJson, readHostSettings, type HostSettings } from './host-json';
import { createHttpFront, httpRoutes, type CorsOptions } from './http-server';
import { Invoker } from './invoker';
import { OutputDelivery } from './outputs';
import { loadApp, type FunctionRegistration } from './registrations';
import { serviceBusSource, startServiceBusTriggers, type RunningServiceBusTriggers } from './service-bus';
import { startTimers, type RunningTimers } from './timers';
import { defaultPorts } from '../endpoints';

export interface HostOptions {
  /**
   * The compiled app: an entry file (dist/functions/index.js), or a function app folder whose
   * package.json `main` is a file or a glob (`dist/src/{index.js,functions/*.js}`), as the worker reads it.
   */
  appEntry: string;
  /** HTTP port; default 7071; 0 = an ephemeral port. */
  port?: number;
  /** local.settings.json `Values`: applied to process.env before the app loads, like Core Tools. */
  settings?: Record<string, string>;
  /** Default: the nearest host.json at or above the app entry's folder (the repository's). */
  hostJsonPath?: string;
  /** Check function keys like Azure does; off by default, like Core Tools. */
  enforceKeys?: { masterKey: string; functionKey?: string };
  /** One line per host event and invocation log. Default: console.log. */
  log?: (line: string) => void;
  /** CORS for browser callers, like Core Tools' `Host.CORS`; off by default. */
  cors?: CorsOptions;
  /** Request bodies above this get 413. Default 100 MB, like the real host. */
  maxRequestBodySizeInBytes?: number;
  /** How long `close()` waits for in-flight invocations. Default 10 s. */
  shutdownTimeoutInMs?: number;
  /**
   * Start even when a function uses a binding the host does not serve: warn at start and fail every
   * invocation of that function with the reason. Default false: such an app does not start.
   */
  allowUnsupportedBindings?: boolean;
}

export interface RunningHost {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  registrations: FunctionRegistration[];
  /** Functions switched off with `AzureWebJobs.<name>.Disabled`. */
  disabled: Set<string>;
  /** The host.json settings in effect. */
  hostSettings: HostSettings;
  /** Stops triggers, waits for in-flight invocations (up to the shutdown timeout) and closes the server. */
  close(): Promise<void>;
}

export const defaultHostPort = defaultPorts.functionsHost;
const defaultMaxRequestBodySizeInBytes = 100 * 1024 * 1024;

/**
 * Replaces `%Setting%` references (binding expressions) with app settings.
 * @throws Error naming the setting when it is not set.
 */
export function resolveSettingReferences(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = env[name];
    if (resolved === undefined)
      throw new Error(`the app setting "${name}" referenced as %${name}% is not set`);
    return resolved;
  });
}

/** One line per function, like Core Tools prints them after start. */
export function describeFunctions(
  registrations: FunctionRegistration[],
  baseUrl: string,
  routePrefix: string,
  disabled: ReadonlySet<string> = new Set(),
): string[] {
  const routes = new Map(httpRoutes(registrations).map((r) => [r.registration, r]));
  return registrations.map((registration) => {
    if (disabled.has(registration.name)) return `  ${registration.name}: (disabled)`;
    const trigger = registration.trigger;
    const http = routes.get(registration);
    if (http) {
      const methods = http.methods ? `[${http.methods.join(',')}]` : '[ALL]';
      const prefix = routePrefix ? `/${routePrefix}` : '';
      return `  ${registration.name}: ${methods} ${baseUrl}${prefix}/${http.route.template}`;
    }
    if (trigger.type.toLowerCase() === 'servicebustrigger') {
      try {
        const source = serviceBusSource(registration, (v) => {
          try {
            return resolveSettingReferences(v);
          } catch {
            return v;
          }
        });
        const where = source.queueName ?? `${source.topicName}/${source.subscriptionName}`;
        return `  ${registration.name}: serviceBusTrigger ${where}`;
      } catch {
        return `  ${registration.name}: serviceBusTrigger`;
      }
    }
    if (trigger.type.toLowerCase() === 'timertrigger') {
      return `  ${registration.name}: timerTrigger ${String(trigger.schedule)}${trigger.runOnStartup ? ' (runOnStartup)' : ''}`;
    }
    return `  ${registration.name}: ${trigger.type}`;
  });
}

/** `AzureWebJobs.<name>.Disabled` set to true (or 1) switches a function off, as in Azure. */
export function isDisabled(functionName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const value =
    env[`AzureWebJobs.${functionName}.Disabled`] ?? env[`AzureWebJobs__${functionName}__Disabled`];
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}

function functionAppDirectory(appPath: string): string {
  const resolved = path.resolve(appPath);
  return statSync(resolved, { throwIfNoEntry: false })?.isDirectory() ? resolved : path.dirname(resolved);
}

/**
 * Starts the host and resolves once it serves HTTP and its triggers run.
 * @throws Error naming the port when it is taken; Error when the app entry is missing, the app fails
 * to load, an appStart hook throws, or a trigger's setting (connection, schedule) is missing or invalid.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  for (const [name, value] of Object.entries(options.settings ?? {})) process.env[name] = value;

  const hostJsonPath = options.hostJsonPath ?? findHostJson(functionAppDirectory(options.appEntry));
  const hostSettings = readHostSettings(hostJsonPath);
  const loaded = loadApp(options.appEntry, (level, _category, message) => {
    if (level === 'warning' || level === 'error' || level === 'critical') log(`[worker] ${message}`);
  });
  // host.json `functions`: the others are not loaded at all (no route, no receiver, no timer).
  const only = hostSettings.functions ? new Set(hostSettings.functions) : undefined;
  const app = only
    ? { ...loaded, registrations: loaded.registrations.filter((r) => only.has(r.name)) }
    : loaded;
  if (only) {
    const unknown = [...only].filter((name) => !loaded.registrations.some((r) => r.name === name));
    if (unknown.length > 0)
      log(`[host] WARNING: host.json functions names no such Function: ${unknown.join(', ')}`);
    log(`[host] loading only ${app.registrations.length} Function(s) (host.json functions)`);
  }

  // A binding the host cannot serve must never be silently ignored.
  const unsupported = unsupportedBindingsByFunction(app.registrations);
  const blocked = new Map<string, Error>();
  if (unsupported.size > 0) {
    const lines = [...unsupported.values()].flat().map((p) => `  - ${p.message}`);
    if (!options.allowUnsupportedBindings) {
      throw new Error(
        `the app uses bindings the local host does not support:\n${lines.join('\n')}\n` +
          'Remove them, or start with --allow-unsupported-bindings to run the other functions ' +
          '(every invocation of these functions then fails with this reason).',
      );
    }
    for (const [name, problems] of unsupported) {
      blocked.set(name, new UnsupportedBindingError(problems));
      for (const problem of problems)
        log(`[host] WARNING: ${problem.message}; every invocation of "${name}" fails`);
    }
  }
  const disabled = new Set(app.registrations.filter((r) => isDisabled(r.name)).map((r) => r.name));
  for (const name of disabled) log(`[host] Function ${name} is disabled (AzureWebJobs.${name}.Disabled)`);
  for (const registration of app.registrations) {
    if (registration.retryOptions && registration.trigger.type.toLowerCase() !== 'timertrigger') {
      log(
        `[host] ${registration.name}: the retry policy is not applied to a ${registration.trigger.type}, as in Azure ` +
          '(function-level retries apply to timer, Event Hubs, Kafka and Cosmos DB triggers; Service Bus redelivers by delivery count)',
      );
    }
  }

  const resolveSetting = (value: string): string => resolveSettingReferences(value);
  const outputs = new OutputDelivery({ getSetting: (name) => process.env[name], resolveSetting });
  const invoker = new Invoker({
    app,
    functionTimeoutInMs: hostSettings.functionTimeoutInMs,
    log,
    outputs,
    blocked,
  });

  let httpStreamUri: string | undefined;
  if (app.programmingModel?.getCapabilities) {
    // The worker asks the model for its capabilities at init; the library locks app.setup() there and,
    // with enableHttpStream, starts its HTTP proxy and answers its URI.
    const capabilities = await app.programmingModel.getCapabilities({});
    if (capabilities.HttpUri) {
      httpStreamUri = capabilities.HttpUri;
      log(`[host] HTTP streaming enabled: requests are proxied to the worker at ${httpStreamUri}`);
    }
  }

  // Handlers that forget a promise must not take the host down (Node 20 exits on an unhandled rejection).
  const onUnhandledRejection = (reason: unknown): void => {
    log(`[host] Unhandled promise rejection in the app: ${ensureError(reason).message}`);
  };
  process.on('unhandledRejection', onUnhandledRejection);

  const active = app.registrations.filter((r) => !disabled.has(r.name));
  const server = createHttpFront({
    registrations: app.registrations,
    disabled,
    httpStreamUri,
    invoker,
    routePrefix: hostSettings.routePrefix,
    maxRequestBodySizeInBytes: options.maxRequestBodySizeInBytes ?? defaultMaxRequestBodySizeInBytes,
    enforceKeys: options.enforceKeys,
    cors: options.cors,
    log,
  });

  let timers: RunningTimers | undefined;
  let serviceBus: RunningServiceBusTriggers | undefined;
  try {
    await invoker.runAppHooks('appStart');
    const requestedPort = options.port ?? defaultHostPort;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(
                `port ${requestedPort} is already in use: the Functions host cannot listen on it (choose another with --port)`,
              )
            : err,
        );
      };
      server.once('error', onError);
      server.listen(requestedPort, '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });
    serviceBus = startServiceBusTriggers({
      registrations: active,
      invoker,
      serviceBus: hostSettings.serviceBus,
      getSetting: (name) => process.env[name],
      resolveSetting,
      log,
    });
    timers = startTimers({
      registrations: active,
      invoker,
      resolveSetting,
      timeZone: process.env.WEBSITE_TIME_ZONE,
      log,
    });
  } catch (err) {
    timers?.stop();
    await serviceBus?.close().catch(() => undefined);
    await outputs.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    process.off('unhandledRejection', onUnhandledRejection);
    throw err;
  }

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    registrations: app.registrations,
    disabled,
    hostSettings,
    close(): Promise<void> {
      closing ??= (async () => {
        timers?.stop();
        const serverClosed = new Promise((resolve) => server.close(resolve));
        server.closeIdleConnections();
        await serviceBus?.stopReceiving();
        const left = await invoker.drain(options.shutdownTimeoutInMs ?? 10_000);
        if (left > 0) log(`[host] ${left} invocation(s) still running at shutdown were abandoned`);
        await invoker.runAppHooks('appTerminate').catch((err: unknown) => {
          log(`[host] appTerminate hook failed: ${ensureError(err).message}`);
        });
        await serviceBus?.close();
        await outputs.close();
        server.closeAllConnections();
        await serverClosed;
        process.off('unhandledRejection', onUnhandledRejection);
      })();
      return closing;
    },
  };
}
