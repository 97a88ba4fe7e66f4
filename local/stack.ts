import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { settingNames } from '../shared/config';
import { startAzurite, type RunningAzurite } from './azurite';
import { spawnUntilReady, stopChild } from './child-process';
import { defaultPorts, localServiceBusConnectionString } from './endpoints';
import { assertPortFree, findFreePort, retryOnPortTaken } from './ports';
import { defaultIssuerPort, startTokenIssuer, type TokenIssuer } from './token-issuer';

/** The compiled output's root (this file runs from dist/local/stack.js). */
const distRoot = path.resolve(__dirname, '..');

export interface LocalStackOptions {
  /** Azurite's blob port (queue and table use the next two). 0 = free ports. Default 10000. */
  azuritePort?: number;
  /** Persist Azurite's data and the broker's state in this folder instead of memory. */
  dataFolder?: string;
  /** The broker's AMQP port. 0 = a free port. Default 5672. */
  serviceBusPort?: number;
  /** The broker's metrics HTTP port. 0 = a free port. Default 5673. */
  metricsPort?: number;
  /** The Functions host's HTTP port. 0 = a free port. Default 7071. */
  hostPort?: number;
  /** The compiled app the host loads. Default dist/functions/index.js. */
  appEntry?: string;
  /** Extra app settings for the host, over local.settings.json's Values (connections are always the stack's). */
  settings?: Record<string, string>;
  /** Check function keys like Azure does (off by default, like Core Tools). */
  enforceKeys?: boolean;
  /** Start the host even when a function uses a binding it does not serve (that function then always fails). */
  allowUnsupportedBindings?: boolean;
  /** `on` (default): a local token issuer, and the app validates bearer tokens from it; `off`: open mode. */
  auth?: 'on' | 'off';
  /** The token issuer's HTTP port. 0 = a free port. Default 7072. */
  issuerPort?: number;
  /** Broker fault injection for tests: redeliver every message once more after its first completion. */
  redeliverCompletedOnce?: boolean;
  /** Where the children's output goes, one line at a time, prefixed with its source. Default: discarded. */
  log?: (line: string) => void;
  startTimeoutInMs?: number;
}

/** Every port chosen by the OS: for tests and benchmarks that run several stacks side by side. */
export const freePorts = {
  azuritePort: 0,
  serviceBusPort: 0,
  metricsPort: 0,
  hostPort: 0,
  issuerPort: 0,
} as const;

export interface ManagedProcess {
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalStack {
  storageConnectionString: string;
  serviceBusConnectionString: string;
  serviceBusPort: number;
  /** e.g. http://127.0.0.1:5673/entities */
  serviceBusMetricsUrl: string;
  /** e.g. http://127.0.0.1:7071 */
  hostUrl: string;
  /** The settings the host runs with (connections included), for tests that build their own clients. */
  settings: Record<string, string>;
  /** The local token issuer the app trusts; absent with `auth: 'off'`. */
  tokenIssuer?: TokenIssuer;
  azurite: RunningAzurite;
  broker: ManagedProcess;
  host: ManagedProcess;
  /** Kills the host at once (SIGKILL, like a crash) and leaves Azurite and the broker running. */
  killHost(): Promise<void>;
  /** Starts a new host on the same port and settings (after killHost or a crash). */
  restartHost(): Promise<void>;
  /**
   * Stops Azurite (a storage outage). SIGTERM, not SIGKILL: Azurite persists its folder lazily, and a real
   * account never loses a write it acknowledged. Its data survives only with `dataFolder`.
   */
  killAzurite(): Promise<void>;
  /** Starts Azurite again on the same ports and folder. */
  restartAzurite(): Promise<void>;
  /** Kills the broker at once (SIGKILL). Its state is in memory: what it held is lost. */
  killBroker(): Promise<void>;
  /** Cuts every connection to the broker (SIGUSR2); the broker stays up with its state. */
  dropBrokerConnections(): void;
  /** Starts the broker again on the same ports. */
  restartBroker(): Promise<void>;
  /**
   * Starts another host process of the same app on the same Azurite and broker (a second instance), on a free
   * port, with the stack's settings changed by `settings` (`undefined` removes one); stopped with the stack.
   */
  startExtraHost(settings?: Record<string, string | undefined>): Promise<ManagedProcess & { url: string }>;
  stop(): Promise<void>;
}

/**
 * Starts Azurite, the Service Bus–compatible broker and the local Functions host as three child
 * processes, each on its port, and hands back where they listen.
 * @throws Error naming the port and the option when one is taken, or the output of a child that failed to start.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const timeout = options.startTimeoutInMs ?? 30_000;
  const azuritePort = options.azuritePort ?? defaultPorts.blob;
  const serviceBusPort = options.serviceBusPort ?? defaultPorts.serviceBus;
  const metricsPort = options.metricsPort ?? defaultPorts.serviceBusMetrics;
  const hostPort = options.hostPort ?? defaultPorts.functionsHost;

  // Check every fixed port first so a taken one is reported before anything starts.
  if (azuritePort !== 0) {
    await assertPortFree(azuritePort, 'Azurite Blob', '--azurite-port');
    await assertPortFree(azuritePort + 1, 'Azurite Queue', '--azurite-port');
    await assertPortFree(azuritePort + 2, 'Azurite Table', '--azurite-port');
  }
  await assertPortFree(serviceBusPort, 'Service Bus broker', '--servicebus-port');
  await assertPortFree(metricsPort, 'Service Bus metrics', '--metrics-port');
  await assertPortFree(hostPort, 'Functions host', '--port');
  const issuerPort = options.issuerPort ?? defaultIssuerPort;
  if (options.auth !== 'off') await assertPortFree(issuerPort, 'token issuer', '--issuer-port');

  const started: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  // Its signing key takes a few hundred ms to make: made while Azurite and the broker start.
  const issuing = options.auth === 'off' ? undefined : startTokenIssuer({ port: issuerPort });
  issuing?.catch(() => undefined);

  try {
    // The broker's ports are fixed before it starts (a fault test restarts it on the same ones), so a port
    // found free can be taken by another process before the broker binds it: then it starts again on other
    // free ports, when the ports were ours to choose.
    let brokerPort = serviceBusPort === 0 ? await findFreePort() : serviceBusPort;
    let brokerMetricsPort = metricsPort === 0 ? await findFreePort() : metricsPort;
    // Built at each launch from the current ports (a restart reuses them; a taken one is replaced).
    const brokerArgs = (): string[] => [
      '--port',
      String(brokerPort),
      '--metrics-port',
      String(brokerMetricsPort),
      ...(options.redeliverCompletedOnce ? ['--redeliver-completed-once'] : []),
      ...(options.dataFolder ? ['--data', path.resolve(options.dataFolder)] : []),
    ];
    const launchAzurite = (ports: { blobPort: number; queuePort?: number; tablePort?: number }) =>
      startAzurite({
        ...ports,
        location: options.dataFolder,
        startTimeoutInMs: timeout,
        log: (line) => log(`[azurite] ${line}`),
      });
    const launchBroker = (): Promise<ManagedProcess> =>
      startChild(
        path.join(distRoot, 'local', 'servicebus', 'cli.js'),
        brokerArgs(),
        process.env,
        /listening on amqp:/,
        'servicebus',
        log,
        timeout,
      );
    const firstBroker = (): Promise<ManagedProcess> =>
      serviceBusPort !== 0 && metricsPort !== 0
        ? launchBroker() // the caller's ports: a taken one is reported, not replaced
        : retryOnPortTaken(launchBroker, async () => {
            if (serviceBusPort === 0) brokerPort = await findFreePort();
            if (metricsPort === 0) brokerMetricsPort = await findFreePort();
            log('[servicebus] a port was taken before the broker bound it: starting it on others');
          });
    // Azurite and the broker do not depend on each other: start both at once (start-up time).
    const [azuriteStart, brokerStart] = await Promise.allSettled([
      launchAzurite({ blobPort: azuritePort }),
      firstBroker(),
    ]);
    // The current instances (a fault test may restart them): `stop` stops whichever is running.
    let azurite: RunningAzurite;
    let broker: ManagedProcess;
    if (azuriteStart.status === 'fulfilled') started.push(() => azurite.close());
    if (brokerStart.status === 'fulfilled') started.push(() => broker.stop());
    if (azuriteStart.status === 'fulfilled') azurite = azuriteStart.value;
    if (brokerStart.status === 'fulfilled') broker = brokerStart.value;
    if (azuriteStart.status === 'rejected') throw azuriteStart.reason;
    if (brokerStart.status === 'rejected') throw brokerStart.reason;
    azurite = azuriteStart.value;
    broker = brokerStart.value;

    const tokenIssuer = await issuing;
    if (tokenIssuer) started.push(() => tokenIssuer.close());

    const serviceBusConnectionString = localServiceBusConnectionString(brokerPort);
    const settings: Record<string, string> = {
      ...(tokenIssuer?.settings ?? { [settingNames.authMode]: 'off' }),
      ...options.settings,
      AzureWebJobsStorage: azurite.connectionString,
      [settingNames.storageConnection]: azurite.connectionString,
      [settingNames.serviceBusConnection]: serviceBusConnectionString,
    };
    const resolvedHostPort = hostPort === 0 ? await findFreePort() : hostPort;
    const hostArgs = [
      '--app',
      options.appEntry ?? path.join(distRoot, 'functions', 'index.js'),
      '--port',
      String(resolvedHostPort),
    ];
    if (options.enforceKeys) hostArgs.push('--enforce-keys');
    if (options.allowUnsupportedBindings) hostArgs.push('--allow-unsupported-bindings');
    const launchHost = (
      args = hostArgs,
      env: NodeJS.ProcessEnv = { ...process.env, ...settings },
      name = 'host',
    ): Promise<ManagedProcess> =>
      startChild(
        path.join(distRoot, 'local', 'host', 'cli.js'),
        args,
        env,
        /Host started/,
        name,
        log,
        timeout,
      );
    let host = await launchHost();
    started.push(() => host.stop());

    return {
      storageConnectionString: azurite.connectionString,
      serviceBusConnectionString,
      serviceBusPort: brokerPort,
      serviceBusMetricsUrl: `http://127.0.0.1:${brokerMetricsPort}/entities`,
      hostUrl: `http://127.0.0.1:${resolvedHostPort}`,
      settings,
      ...(tokenIssuer ? { tokenIssuer } : {}),
      get azurite() {
        return azurite;
      },
      get broker() {
        return broker;
      },
      get host() {
        return host;
      },
      async killHost() {
        host.process.kill('SIGKILL');
        await host.stop();
      },
      async restartHost() {
        await host.stop();
        host = await launchHost();
      },
      async killAzurite() {
        // Up to 30 s for Azurite to finish its in-flight requests and save its folder.
        await stopChild(azurite.process, 30_000);
      },
      async restartAzurite() {
        await azurite.close();
        const { blobPort, queuePort, tablePort } = azurite;
        azurite = await launchAzurite({ blobPort, queuePort, tablePort });
      },
      async killBroker() {
        broker.process.kill('SIGKILL');
        await broker.stop();
      },
      async restartBroker() {
        await broker.stop();
        broker = await launchBroker();
      },
      dropBrokerConnections() {
        broker.process.kill('SIGUSR2');
      },
      async startExtraHost(changes = {}) {
        const port = await findFreePort();
        const env: NodeJS.ProcessEnv = { ...process.env, ...settings };
        for (const [name, value] of Object.entries(changes)) {
          if (value === undefined) delete env[name];
          else env[name] = value;
        }
        const args = hostArgs.map((arg, i) => (hostArgs[i - 1] === '--port' ? String(port) : arg));
        const extra = await launchHost(args, env, `host :${port}`);
        started.push(() => extra.stop());
        return { ...extra, url: `http://127.0.0.1:${port}` };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    await issuing?.then((issuer) => issuer.close()).catch(() => undefined);
    throw err;
  }
}

/** Starts one of the stack's compiled CLIs and resolves once a line matches `ready`. */
async function startChild(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  name: string,
  log: (line: string) => void,
  timeoutInMs: number,
): Promise<ManagedProcess> {
  const child = await spawnUntilReady(script, args, {
    name,
    env,
    timeoutInMs,
    log: (line) => log(`[${name}] ${line}`),
    readiness: (line) => (ready.test(line) ? true : undefined),
  });
  return { process: child, stop: () => stopChild(child) };
}
