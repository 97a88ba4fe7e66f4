import { E2eStack, mailboxes, startCountingExecutorServer, startE2eStack } from './support/e2e-stack';

/**
 * Priority under overload on the whole local stack: a tier-4 batch holding every execution slot yields when
 * tier-1 work arrives, waits longer than it may, completes its message with a scheduled successor, and that
 * successor finishes the batch — every item executed exactly once (counted by the downstream system).
 */
let e2e: E2eStack;
let downstream: Awaited<ReturnType<typeof startCountingExecutorServer>>;

beforeAll(async () => {
  downstream = await startCountingExecutorServer({ failureRate: 0, delayMs: 50 });
  e2e = await startE2eStack({
    settings: {
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: downstream.url,
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '1',
      TRIAGE_BATCH_SIZE: '240',
      TRIAGE_ITEM_CONCURRENCY: '4',
      TRIAGE_EXECUTION_SLOTS: '4',
      TRIAGE_EXECUTION_SLOTS_RESERVED: '{}',
      TRIAGE_EXECUTION_SLOT_MAX_WAIT_SECONDS: '0.5',
    },
  });
}, 90_000);
afterAll(async () => {
  await e2e?.stop();
  await downstream?.close();
});

test('a tier-4 batch yields to tier 1 and a scheduled successor completes it, every item exactly once', async () => {
  await e2e.registerOrg('nhs', 'health');
  const flood = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'shop',
    mailboxes: mailboxes(240, 'shop.example'),
  });
  expect(flood.status).toBe(202);
  const floodId = flood.json.id as string;
  // The flood's one batch holds all 4 slots and is under way (its progress rolls up when the batch ends).
  for (const deadline = Date.now() + 30_000; ;) {
    const slots = (await e2e.http('GET', '/api/execution-slots')).json;
    if (slots.usedByTier?.standard === 4 && downstream.calls() > 0) break;
    if (Date.now() > deadline) throw new Error(`the flood never started: ${JSON.stringify(slots)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // Tier 1 arrives with work that takes longer than the flood may wait (60 items, 4 at a time, 50 ms each).
  const urgent = await e2e.http('POST', '/api/requests', {
    kind: 'migrate',
    orgId: 'nhs',
    mailboxes: mailboxes(60, 'nhs.example'),
  });
  expect(urgent.status).toBe(202);
  const urgentId = urgent.json.id as string;
  const urgentDone = await e2e.waitForFinal([urgentId], 60_000);
  const floodWhenUrgentDone = (await e2e.http('GET', `/api/requests/${floodId}`)).json;
  expect(urgentDone.get(urgentId)).toMatchObject({ status: 'completed', progress: { succeeded: 60 } });
  // The flood was still unfinished: tier 1 did not wait for it.
  expect(floodWhenUrgentDone.status).toBe('running');
  expect(downstream.successes.size).toBeLessThan(300);

  const floodDone = await e2e.waitForFinal([floodId], 60_000);
  expect(floodDone.get(floodId)).toMatchObject({
    status: 'completed',
    progress: { total: 240, succeeded: 240, failed: 0, pending: 0 },
  });
  // It yielded, waited longer than it may and handed the rest to a successor message.
  expect(e2e.log.some((line) => /migrate-standard: rescheduled/.test(line))).toBe(true);
  // Every item of both requests ran exactly once downstream.
  expect(downstream.successes.size).toBe(300);
  expect([...downstream.successes.values()].every((n) => n === 1)).toBe(true);
  // Nothing holds or waits for slots any more.
  const slots = (await e2e.http('GET', '/api/execution-slots')).json;
  expect(slots).toMatchObject({ used: 0, holders: [], waiting: [] });
}, 120_000);
