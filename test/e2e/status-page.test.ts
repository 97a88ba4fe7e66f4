/**
 * The status page in a real browser (playwright-core driving Debian's chromium): it loads without console
 * errors, shows the API's numbers for a scenario, draws its charts with the expected series, refreshes when
 * the state changes, and says so when the host stops.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { roles } from '../../shared/domain/identity/principal';
import { mailboxes, startE2eStack, type E2eStack } from './support/e2e-stack';

const executablePath = '/usr/bin/chromium';
const available = existsSync(executablePath);
if (!available) console.warn(`status page tests skipped: no ${executablePath} (apt-get install -y chromium)`);
const describeInBrowser = available ? describe : describe.skip;

let e2e: E2eStack;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

type Json = ReturnType<typeof JSON.parse>;
const states = ['waiting', 'running', 'done', 'failed'] as const;
const finished = (counts: Record<string, number> | undefined): number =>
  (counts?.['done'] ?? 0) + (counts?.['failed'] ?? 0);

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean | Promise<boolean>,
  timeoutInMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await read();
    if (await ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutInMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What the page shows per tier (request counts), read from its table. */
async function pageNumbers(): Promise<Record<string, Record<string, number>>> {
  return page.$$eval('#tiers tbody tr', (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        (row as unknown as { dataset: Record<string, string> }).dataset.tier!,
        Object.fromEntries(
          ['waiting', 'running', 'done', 'failed'].map((s) => [
            s,
            Number(row.querySelector(`[data-testid$="-${s}"]`)!.childNodes[0]!.textContent),
          ]),
        ),
      ]),
    ),
  );
}

const apiNumbers = (status: Json): Record<string, Record<string, number>> =>
  Object.fromEntries(
    (status.tiers as Json[]).map((t) => [t.tier, Object.fromEntries(states.map((s) => [s, t.requests[s]]))]),
  );

beforeAll(async () => {
  if (!available) return;
  e2e = await startE2eStack({ settings: { TRIAGE_EXECUTOR_PERMANENT_FAILURE_RATE: '0.2' } });
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 1400 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  page.on('response', (response) => {
    if (response.status() >= 400) consoleErrors.push(`${response.status()} ${response.url()}`);
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await e2e?.stop();
});

describeInBrowser('status page', () => {
  test('shows the API numbers for a scenario, with its charts, and refreshes as the state changes', async () => {
    await e2e.registerOrg('sp-health', 'health');
    await e2e.registerOrg('sp-standard', 'standard');
    expect(
      (
        await e2e.http('PUT', '/api/pools/sp-vm', {
          resourceType: 'spvm',
          region: 'uksouth',
          capacity: 4,
          reserved: { health: 2 },
        })
      ).status,
    ).toBe(201);
    const provision = (orgId: string, quantity: number) => ({
      kind: 'provision',
      orgId,
      resource: { type: 'spvm', quantity, region: 'uksouth' },
    });
    const submit = async (body: unknown): Promise<string> => {
      const r = await e2e.http('POST', '/api/requests', body);
      expect(r.status).toBe(202);
      return r.json.id as string;
    };
    const ids = [
      await submit(provision('sp-health', 2)),
      await submit({ kind: 'migrate', orgId: 'sp-health', mailboxes: mailboxes(150, 'sp.example') }),
    ];
    await e2e.waitForFinal(ids);
    // Standard may use 2 of the 4 (health keeps 2 in reserve): once one standard provisioning holds them,
    // the next waits. (A provisioning the simulated executor fails gives its capacity back: try again.)
    let waiting: string | undefined;
    for (let attempt = 0; attempt < 8 && !waiting; attempt++) {
      const id = await submit(provision('sp-standard', 2));
      const status = await until(
        'a standard provisioning settles',
        async () => (await e2e.http('GET', `/api/requests/${id}`)).json.status as string,
        (s) => ['completed', 'failed', 'deferred'].includes(s),
      );
      if (status === 'deferred') waiting = id;
    }
    expect(waiting).toBeDefined();

    // As an operator opens it: the token in the fragment, which the page keeps and never sends in a URL.
    const token = await e2e.token({ roles: [roles.operator], orgs: [], subject: 'status-viewer' });
    await page.goto(`${e2e.url}/api/status?refresh=500#token=${token}`);
    const status = await until(
      'the page shows what the API says',
      async () => {
        const api = (await e2e.http('GET', '/api/status/data')).json;
        const shown = await pageNumbers().catch(() => ({}));
        return { api, same: JSON.stringify(apiNumbers(api)) === JSON.stringify(shown) };
      },
      (v) => v.same,
    );
    expect(apiNumbers(status.api)['standard']).toMatchObject({ waiting: 1, done: 1, running: 0 });
    // The tiers' numbers are the request totals GET /api/requests gives.
    const totals = (await e2e.http('GET', '/api/requests?limit=1')).json.totals.byTier;
    expect(apiNumbers(status.api)['health']).toEqual({
      waiting: totals.health.received + totals.health.queued + totals.health.deferred,
      running: totals.health.running,
      done: totals.health.completed + totals.health['completed-with-errors'],
      failed: totals.health.failed,
    });
    expect(await page.textContent('[data-testid="sp-vm-health-reserved"]')).toBe('2');
    expect(await page.textContent('[data-testid="sp-vm-standard-waiting"]')).toBe('1');
    // The head of the line says why it waits once the forecast has run (within a refresh or two).
    await until(
      'the waiting claim shows its reason',
      () => page.textContent(`[data-request="${waiting}"]`),
      (t) => /spvm|full|reserved|capacity/i.test(t ?? ''),
    );

    // Charts: drawn (non-blank canvases) with one series per state, matching the table.
    const chart = await page.evaluate(() => {
      const c = (globalThis as unknown as { triageCharts: Record<string, Json> }).triageCharts['tiers-chart'];
      return {
        labels: c.data.labels,
        series: c.data.datasets.map((d: Json) => ({ label: d.label, data: d.data })),
      };
    });
    expect(chart.series.map((s: Json) => s.label)).toEqual([...states]);
    const healthIndex = chart.labels.indexOf('health');
    for (const s of chart.series)
      expect(s.data[healthIndex]).toBe(apiNumbers(status.api)['health']![s.label]);
    for (const id of ['tiers-chart', 'pools-chart']) {
      const inked = await page.$eval(`#${id}`, (canvas) => {
        const c = canvas as unknown as {
          width: number;
          height: number;
          getContext(kind: '2d'): { getImageData(...box: number[]): { data: Uint8ClampedArray } };
        };
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return painted;
      });
      expect(inked).toBeGreaterThan(500);
    }
    // Accessible: each chart is an image with its numbers in words, reachable from the keyboard.
    expect(await page.getAttribute('#tiers-chart', 'aria-label')).toMatch(/health \d+ waiting/);
    expect(await page.getAttribute('#tiers-chart', 'tabindex')).toBe('0');
    expect(await page.textContent('#programme-note')).toMatch(/No calendar/);
    if (process.env.TRIAGE_SCREENSHOT)
      await page.screenshot({ path: process.env.TRIAGE_SCREENSHOT, fullPage: true });

    // A change of state shows up without a reload.
    const before = (await pageNumbers())['government'];
    await e2e.registerOrg('sp-gov', 'government');
    // Not from the pool (it is full): an unlimited resource, so it finishes at once.
    const r = await e2e.http('POST', '/api/requests', {
      kind: 'provision',
      orgId: 'sp-gov',
      resource: { type: 'vm', quantity: 1, region: 'uksouth' },
    });
    await e2e.waitForFinal([r.json.id]);
    await until(
      'the page refreshed itself',
      pageNumbers,
      (n) => finished(n['government']) === finished(before) + 1,
    );
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  test('shows a hold: who placed it, why, since when and its drain; the held claim in its pool line; gone once resumed', async () => {
    const held = await e2e.http('POST', '/api/orgs/sp-standard/hold', { reason: 'licences lapsed' });
    expect(held.status).toBe(201);
    const row = '[data-hold="org-sp-standard"]';
    await until(
      'the page shows the hold',
      async () => (await page.$(row)) !== null,
      (shown) => shown,
    );
    expect(await page.textContent(`${row} th`)).toBe('organisation sp-standard');
    expect(await page.textContent('[data-testid="hold-sp-standard-reason"]')).toBe('licences lapsed');
    expect(await page.textContent(row)).toContain('e2e-harness');
    expect(await page.textContent('[data-testid="hold-sp-standard-drain"]')).toBe('drained');
    expect(await page.isHidden('#no-holds')).toBe(true);
    // The standard claim still waiting in sp-vm's line keeps its place, shown as held.
    await until(
      'the pool line shows the held claim',
      () => page.textContent('#pools'),
      (t) => /held \(org sp-standard\): licences lapsed/.test(t ?? ''),
    );
    const api = (await e2e.http('GET', '/api/status/data')).json;
    expect(api.holds).toEqual([
      expect.objectContaining({
        scope: 'org',
        target: 'sp-standard',
        hold: expect.objectContaining({ reason: 'licences lapsed' }),
      }),
    ]);

    expect((await e2e.http('POST', '/api/orgs/sp-standard/resume')).status).toBe(200);
    await until(
      'the page shows nothing held',
      () => page.isVisible('#no-holds'),
      (visible) => visible,
    );
    expect(await page.$(row)).toBeNull();
    // One left in place (an organisation that has no work left): the README's screenshot shows a hold.
    expect(
      (await e2e.http('POST', '/api/orgs/sp-gov/hold', { reason: 'tenant-to-tenant move window' })).status,
    ).toBe(201);
    await until(
      'the page shows the second hold',
      async () => (await page.$('[data-hold="org-sp-gov"]')) !== null,
      (shown) => shown,
    );
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  test('the programme: burn-down against the deadline, not-ready organisations and their failing checks', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const calendar = {
      timeZone: 'Europe/London',
      start: day(0),
      deadline: day(60),
      caps: { weekday: { mailboxes: 30, bytes: 1e12 }, weekend: { mailboxes: 30, bytes: 1e12 } },
      requiredChecks: ['licences'],
    };
    expect((await e2e.http('PUT', '/api/calendar', calendar)).status).toBeLessThan(300);
    await e2e.registerOrg('sp-late', 'standard');
    // A local IT admin reports for its own organisation: a requester bound to it.
    const report = async (orgId: string, status: string) =>
      e2e.http(
        'PUT',
        `/api/orgs/${orgId}/readiness`,
        { checks: [{ name: 'licences', status, detail: 'E5 licences' }] },
        { authorization: `Bearer ${await e2e.token({ roles: [roles.requester], orgs: [orgId] })}` },
      );
    expect((await report('sp-health', 'pass')).status).toBe(200);
    expect((await report('sp-late', 'fail')).status).toBe(200);
    for (const [orgId, n] of [
      ['sp-health', 80],
      ['sp-late', 20],
    ] as const) {
      const r = await e2e.http('POST', '/api/requests', {
        kind: 'migrate',
        orgId,
        mailboxes: mailboxes(n, `${orgId}.example`),
      });
      expect(r.status).toBe(202);
    }
    const plan = await until(
      'a plan with health work on it',
      async () => (await e2e.http('GET', '/api/plan')).json,
      (p) => (p?.byTier?.health?.mailboxes ?? 0) >= 80 && p.projectedFinish !== null,
    );
    await until(
      'the page shows the plan',
      () => page.textContent('#programme-note'),
      (t) => (t ?? '').includes(`Deadline ${day(60)}`),
    );
    await until(
      'the projected finish as the API says',
      () => page.textContent('#programme-note'),
      async (t) =>
        (t ?? '').includes(`projected finish ${(await e2e.http('GET', '/api/plan')).json.projectedFinish}`),
    );
    expect(plan.onTrack).toBe(true);
    const series = await page.evaluate(() => {
      const c = (globalThis as unknown as { triageCharts: Record<string, Json> }).triageCharts[
        'burndown-chart'
      ];
      return c.data.datasets.map((d: Json) => ({ label: d.label, points: d.data.length }));
    });
    expect(series.map((s: Json) => s.label)).toEqual(
      expect.arrayContaining(['health planned', 'health actual']),
    );
    expect(series.every((s: Json) => s.points > 0)).toBe(true);
    expect(await page.isVisible('#burndown-chart')).toBe(true);
    await until(
      'the not-ready organisation with its failing check',
      () => page.textContent('#not-ready').catch(() => ''),
      (t) => /sp-late\)\s*licences/.test(t ?? ''),
    );
    expect(consoleErrors).toEqual([]);
    if (process.env.TRIAGE_SCREENSHOT)
      await page.screenshot({ path: process.env.TRIAGE_SCREENSHOT, fullPage: true });
  }, 90_000);

  test('says the API is unreachable when the host stops', async () => {
    expect(await page.isHidden('#banner')).toBe(true);
    await e2e.stop();
    await until(
      'the banner',
      () => page.textContent('#banner'),
      (t) => /cannot be reached/.test(t ?? ''),
      20_000,
    );
    expect(await page.isVisible('#banner')).toBe(true);
  }, 60_000);
});
