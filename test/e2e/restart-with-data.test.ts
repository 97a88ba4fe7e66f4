import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E2eStack, mailboxes, startCountingExecutorServer, startE2eStack } from './support/e2e-stack';

/**
 * `npm start -- --data <folder>`: the whole stack is stopped (as Ctrl-C stops it) in the middle of a
 * migration and started again on the same folder. Azurite's tables and blobs and the broker's messages
 * come back, the locks the stopped host held end with the restart, and the request finishes with every
 * item exactly once.
 */
const settings = {
  TRIAGE_EXECUTOR: 'http',
  TRIAGE_EXECUTOR_MAX_ATTEMPTS: '3',
  TRIAGE_EXECUTOR_TIMEOUT_MS: '5000',
  TRIAGE_EXECUTOR_BACKOFF_MS: '10',
  TRIAGE_BATCH_SIZE: '100',
  TRIAGE_ITEM_CONCURRENCY: '2',
};
const total = 3_000;
let folder: string;
let downstream: Awaited<ReturnType<typeof startCountingExecutorServer>>;
let e2e: E2eStack | undefined;

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'triage-data-'));
  downstream = await startCountingExecutorServer({ failureRate: 0, delayMs: 25 });
}, 30_000);
afterAll(async () => {
  await e2e?.stop();
  await downstream?.close();
  rmSync(folder, { recursive: true, force: true });
});

test('stop the stack mid-migration, start it on the same --data folder: the request finishes, each item once', async () => {
  const start = (): Promise<E2eStack> =>
    startE2eStack({ dataFolder: folder, settings: { ...settings, TRIAGE_EXECUTOR_URL: downstream.url } });
  e2e = await start();
  await e2e.registerOrg('gov-dept', 'government');
  const submitted = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'gov-dept',
    mailboxes: mailboxes(total),
  });
  expect(submitted.status).toBe(202);
  const id = submitted.json.id as string;

  const deadline = Date.now() + 60_000;
  while (downstream.successes.size < 300) {
    if (Date.now() > deadline) throw new Error('the migration did not get under way');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await e2e.stop();
  e2e = undefined;
  const atStop = downstream.successes.size;
  expect(atStop).toBeLessThan(total);

  e2e = await start();
  const states = await e2e.waitForFinal([id], 120_000);
  expect(states.get(id)).toMatchObject({
    status: 'completed',
    batchCount: total / 100,
    batchesCompleted: total / 100,
    progress: { total, succeeded: total, failed: 0, pending: 0 },
  });
  const items = (await e2e.allEntities('items')).filter((e) => String(e.partitionKey).startsWith(id));
  expect(items).toHaveLength(total);
  expect(new Set(items.map((e) => e.Address)).size).toBe(total);
  expect(items.every((e) => e.Status === 'succeeded')).toBe(true);
  expect(downstream.successes.size).toBe(total);
  const resent = [...downstream.successes.values()].filter((n) => n > 1).length;
  console.log(
    `restart-with-data: ${atStop} items done at the stop; ${resent} re-sent with the same Idempotency-Key`,
  );
}, 240_000);
