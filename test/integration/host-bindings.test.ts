/**
 * Bindings the local host does not serve are never silently ignored: the start-up fails naming each
 * function and binding, or — with allowUnsupportedBindings (`--allow-unsupported-bindings`) — the host
 * warns at start and fails every invocation of those functions with the reason, serving the others.
 */
import path from 'node:path';
import { startHost, type RunningHost } from '../../local/host/host';
import { ensureFixtureBuilt, repoRoot } from '../support/host-fixture';

const appEntry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'unsupported-binding-app', 'index.js');

beforeAll(async () => {
  await ensureFixtureBuilt();
}, 120_000);

test('the start-up fails, naming every function and binding the host cannot serve', async () => {
  const attempt = startHost({ appEntry, port: 0, log: () => undefined });
  await expect(attempt).rejects.toThrow(
    /function "queue-writer", binding "queueOutput[0-9a-f]*": the output binding type "queue" is not supported/,
  );
  await expect(attempt).rejects.toThrow(
    /function "cosmos-reader", binding "cosmosDBInput[0-9a-f]*": input bindings \("cosmosDB"\) are not supported/,
  );
  await expect(attempt).rejects.toThrow(/--allow-unsupported-bindings/);
});

describe('with allowUnsupportedBindings', () => {
  let host: RunningHost;
  const lines: string[] = [];
  beforeAll(async () => {
    host = await startHost({ appEntry, port: 0, allowUnsupportedBindings: true, log: (l) => lines.push(l) });
  });
  afterAll(() => host?.close());

  test('warns at start and fails each invocation of the affected function with the reason', async () => {
    expect(lines.some((l) => l.startsWith('[host] WARNING: function "queue-writer", binding'))).toBe(true);
    const response = await fetch(`${host.url}/api/queue-writer`, { method: 'POST' });
    expect(response.status).toBe(500);
    expect(
      lines.some((l) => /\[queue-writer\] Result: Failure Exception: .*"queue" is not supported/.test(l)),
    ).toBe(true);
    expect((await fetch(`${host.url}/api/cosmos-reader`)).status).toBe(500);
  });

  test('the functions whose bindings are served keep working', async () => {
    const response = await fetch(`${host.url}/api/plain`);
    expect(await response.text()).toBe('plain ok');
  });
});
