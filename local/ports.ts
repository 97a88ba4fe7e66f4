import { InvalidArgumentError } from 'commander';
import net from 'node:net';

/** Resolves when the port can be bound on 127.0.0.1; rejects naming the port and the option that moves it. */
export async function assertPortFree(port: number, what: string, option: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is already in use: stop whatever holds it, or pass ${option} <port>`
            : `port ${port} (${what}) cannot be used: ${err.message}`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** A port that was free a moment ago (the OS picks it); for children that need an explicit port. */
export async function findFreePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Parses a `--port`-style command-line option (commander argument parser). */
export function parsePortOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 = any free port)');
  }
  return port;
}

/**
 * Runs `start` until it succeeds, at most `attempts` times, calling `repick` between tries when it failed
 * because a port was taken (`already in use` in its message, the wording of every port error of the local
 * stack: `assertPortFree`, the broker, the host, Azurite): a port found free can be bound by another
 * process before the child binds it. Any other failure, or the last one, is thrown as it is.
 */
export async function retryOnPortTaken<T>(
  start: () => Promise<T>,
  repick: () => Promise<void>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err: unknown) {
      const taken = err instanceof Error && /already in use/.test(err.message);
      if (!taken || attempt >= attempts) throw err;
      await repick();
    }
  }
}
