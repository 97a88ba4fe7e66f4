import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { azuriteConnectionString, defaultPorts } from './endpoints';
import { spawnUntilReady, stopChild } from './child-process';

export interface AzuriteOptions {
  /** Blob port; queue and table use the next two unless given. 0 picks free ports. Default 10000. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** A folder to persist data in; without it Azurite keeps everything in memory. */
  location?: string;
  /** How long to wait for the three services to listen. Default 15 s. */
  startTimeoutInMs?: number;
  /** Receives Azurite's own output lines (errors are always kept for the failure message). */
  log?: (line: string) => void;
}

export interface RunningAzurite {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  connectionString: string;
  process: ChildProcess;
  close(): Promise<void>;
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/;

/**
 * Starts the pinned `azurite` package as a child process for Blob, Queue and Table, with
 * `--skipApiVersionCheck` (the current storage SDKs send a newer API version than Azurite knows).
 * @throws Error when a port is taken or Azurite does not listen within the timeout.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const blobPort = options.blobPort ?? defaultPorts.blob;
  const queuePort = options.queuePort ?? (blobPort === 0 ? 0 : blobPort + 1);
  const tablePort = options.tablePort ?? (blobPort === 0 ? 0 : blobPort + 2);
  const args = [
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(blobPort),
    '--queuePort',
    String(queuePort),
    '--tablePort',
    String(tablePort),
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', path.resolve(options.location));
  } else {
    // Also keeps Azurite from writing its __azurite_db_*.json files into the working directory.
    args.push('--inMemoryPersistence');
  }

  const ports = new Map<string, number>();
  const child = await spawnUntilReady(require.resolve('azurite/dist/src/azurite.js'), args, {
    name: 'Azurite',
    log: options.log,
    timeoutInMs: options.startTimeoutInMs ?? 15_000,
    readiness: (line) => {
      const match = LISTENING.exec(line);
      if (match?.[1] && match[2]) ports.set(match[1], Number(match[2]));
      if (ports.size === 3) return true;
      if (!line.includes('EADDRINUSE')) return undefined;
      const port = /:(\d+)/.exec(line.slice(line.indexOf('EADDRINUSE')))?.[1];
      return new Error(
        `Azurite could not start: port ${port ?? `${blobPort}-${tablePort}`} is already in use ` +
          `(choose other ports with --azurite-port, or stop the other Azurite)`,
      );
    },
  });

  const resolved = {
    blob: ports.get('Blob') ?? blobPort,
    queue: ports.get('Queue') ?? queuePort,
    table: ports.get('Table') ?? tablePort,
  };
  return {
    blobPort: resolved.blob,
    queuePort: resolved.queue,
    tablePort: resolved.table,
    connectionString: azuriteConnectionString(resolved),
    process: child,
    close: () => stopChild(child),
  };
}
