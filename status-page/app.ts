/**
 * The status page's script (bundled with Chart.js into dist/status-page/app.js by the build; no CDN):
 * polls the API, writes every number into tables, draws the charts, and says when the data is stale or
 * the API cannot be reached.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { PlanView } from '../shared/domain/scheduling/burn-down';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
  LineController,
  LineElement,
  PointElement,
);

interface TierStatus {
  tier: string;
  requests: { waiting: number; running: number; done: number; failed: number; cancelled: number };
  mailboxes: { waiting: number; running: number; done: number; failed: number };
  oldestWaitingSince: string | null;
  oldestWaitSeconds: number;
  nextEtas: Array<{ requestId: string; poolId: string; position: number | null; eta: string | null }>;
}
interface PoolStatus {
  poolId: string;
  key: string;
  capacity: number;
  used: number;
  usedByTier: Record<string, number>;
  reserved: Record<string, number>;
  availableByTier: Record<string, number>;
  waitingByTier: Record<string, number>;
  head: Array<{
    position: number;
    requestId: string;
    orgId: string;
    tier: string;
    quantity: number;
    eta: string | null;
    reason: string | null;
    hold?: Hold;
  }>;
}
interface Hold {
  scope: 'tier' | 'org';
  target: string;
  reason: string;
  heldBy: { id: string; name: string };
  since: string;
}
interface DrainReport {
  scope: 'tier' | 'org';
  target: string;
  hold?: Hold;
  drained: boolean;
  running: { batches: number; provisionings: number; items: number };
  parked: number;
}
interface Status {
  at: string;
  calendar: boolean;
  tiers: TierStatus[];
  pools: PoolStatus[];
  holds: DrainReport[];
}
/** GET /api/plan, as the domain defines it. */
type Plan = PlanView;

const params = new URLSearchParams(location.search);
const refreshMs = Math.max(250, Number(params.get('refresh') ?? 2000) || 2000);
/** Data older than this many refreshes is called stale. */
const staleAfterMs = refreshMs * 3;
const api = location.pathname.replace(/\/status\/?$/, '');
const key = params.get('code');
// A bearer token given in the fragment (never sent to a server, never in a log) is kept for the session.
const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromFragment) {
  sessionStorage.setItem('triage-token', fromFragment);
  history.replaceState(null, '', location.pathname + location.search);
}
const token = fromFragment ?? sessionStorage.getItem('triage-token');
// Okabe–Ito colours: told apart with every common colour-vision deficiency, dark enough on white.
const palette = {
  waiting: '#E69F00',
  running: '#0072B2',
  done: '#009E73',
  failed: '#D55E00',
  reserved: '#CC79A7',
  used: '#0072B2',
};

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
let lastSuccess = 0;
let lastError = '';
const charts: Record<string, Chart> = {};
(window as unknown as { triageCharts: typeof charts }).triageCharts = charts;

async function get<T>(
  path: string,
): Promise<{ ok: true; data: T } | { ok: false; status: number; detail: string }> {
  const headers: Record<string, string> = {};
  if (key) headers['x-functions-key'] = key;
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${api}${path}`, { headers, cache: 'no-store' });
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const problem = (await response.json()) as { detail?: string };
      if (problem.detail) detail = problem.detail;
    } catch {
      // not a problem document
    }
    return { ok: false, status: response.status, detail };
  }
  return { ok: true, data: (await response.json()) as T };
}

function cell(
  row: HTMLTableRowElement,
  text: string,
  options: { number?: boolean; sub?: string; testId?: string } = {},
): void {
  const td = row.insertCell();
  td.textContent = text;
  if (options.number) td.className = 'number';
  if (options.testId) td.dataset.testid = options.testId;
  if (options.sub !== undefined) {
    const small = document.createElement('div');
    small.className = 'mailboxes';
    small.textContent = options.sub;
    td.append(small);
  }
}

function duration(seconds: number): string {
  if (seconds <= 0) return '—';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
const time = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : 'none expected');

function drawChart(
  id: string,
  type: 'bar' | 'line',
  labels: string[],
  datasets: Array<{ label: string; data: number[]; color: string; stack?: string; dash?: boolean }>,
  stacked: boolean,
  summary: string,
): void {
  const canvas = $<HTMLCanvasElement>(id);
  canvas.setAttribute('aria-label', summary);
  const data = {
    labels,
    datasets: datasets.map((d) => ({
      label: d.label,
      data: d.data,
      backgroundColor: d.color,
      borderColor: d.color,
      ...(d.stack ? { stack: d.stack } : {}),
      ...(d.dash ? { borderDash: [6, 4] } : {}),
    })),
  };
  const existing = charts[id];
  if (existing) {
    existing.data = data;
    existing.update('none');
    return;
  }
  charts[id] = new Chart(canvas, {
    type,
    data,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { stacked }, y: { stacked, beginAtZero: true, ticks: { color: '#111' } } },
      plugins: { legend: { labels: { color: '#111' } } },
    },
  });
}

function renderTiers(tiers: TierStatus[]): void {
  const body = $<HTMLTableElement>('tiers').tBodies[0]!;
  body.replaceChildren();
  for (const t of tiers) {
    const row = body.insertRow();
    row.dataset.tier = t.tier;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = t.tier;
    row.append(th);
    for (const state of ['waiting', 'running', 'done', 'failed'] as const) {
      cell(row, String(t.requests[state]), {
        number: true,
        sub: `${t.mailboxes[state]} mailboxes`,
        testId: `${t.tier}-${state}`,
      });
    }
    cell(row, duration(t.oldestWaitSeconds), { testId: `${t.tier}-oldest` });
    cell(
      row,
      t.nextEtas.map((e) => `${time(e.eta)} (#${e.position ?? '?'} in ${e.poolId})`).join('; ') || '—',
    );
  }
  const states = ['waiting', 'running', 'done', 'failed'] as const;
  drawChart(
    'tiers-chart',
    'bar',
    tiers.map((t) => t.tier),
    states.map((s) => ({
      label: s,
      data: tiers.map((t) => t.requests[s]),
      color: palette[s],
      stack: 'requests',
    })),
    true,
    `Requests per tier: ${tiers.map((t) => `${t.tier} ${states.map((s) => `${t.requests[s]} ${s}`).join(', ')}`).join('; ')}`,
  );
}

function renderHolds(holds: DrainReport[]): void {
  $('no-holds').hidden = holds.length > 0;
  const table = $<HTMLTableElement>('holds');
  table.hidden = holds.length === 0;
  const body = table.tBodies[0]!;
  body.replaceChildren();
  for (const h of holds) {
    const row = body.insertRow();
    row.dataset.hold = `${h.scope}-${h.target}`;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = `${h.scope === 'tier' ? 'tier' : 'organisation'} ${h.target}`;
    row.append(th);
    cell(row, h.hold?.heldBy.name ?? '');
    cell(row, h.hold ? new Date(h.hold.since).toLocaleString() : '');
    cell(row, h.hold?.reason ?? '', { testId: `hold-${h.target}-reason` });
    cell(
      row,
      h.drained
        ? 'drained'
        : `${h.running.batches} batch(es), ${h.running.provisionings} provisioning(s) running; ${h.running.items} item(s) in flight`,
      { testId: `hold-${h.target}-drain` },
    );
    cell(row, String(h.parked), { number: true, testId: `hold-${h.target}-parked` });
  }
}

function renderPools(pools: PoolStatus[]): void {
  $('no-pools').hidden = pools.length > 0;
  $('pools-figure').hidden = pools.length === 0;
  const host = $('pools');
  host.replaceChildren();
  for (const p of pools) {
    const table = document.createElement('table');
    table.dataset.pool = p.poolId;
    table.createCaption().textContent = `${p.poolId} (${p.key}): ${p.used} of ${p.capacity} used`;
    const head = table.createTHead().insertRow();
    for (const title of ['Tier', 'Used', 'Reserved', 'Available now', 'Waiting']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = title;
      head.append(th);
    }
    const body = table.createTBody();
    for (const tier of Object.keys(p.availableByTier)) {
      const row = body.insertRow();
      cell(row, tier);
      cell(row, String(p.usedByTier[tier] ?? 0), { number: true, testId: `${p.poolId}-${tier}-used` });
      cell(row, String(p.reserved[tier] ?? 0), { number: true, testId: `${p.poolId}-${tier}-reserved` });
      cell(row, String(p.availableByTier[tier] ?? 0), { number: true });
      cell(row, String(p.waitingByTier[tier] ?? 0), { number: true, testId: `${p.poolId}-${tier}-waiting` });
    }
    host.append(table);
    if (p.head.length > 0) {
      const line = document.createElement('table');
      line.createCaption().textContent = `${p.poolId}: next in line`;
      const titles = line.createTHead().insertRow();
      for (const title of ['#', 'Request', 'Tier', 'Quantity', 'ETA', 'Why waiting']) {
        const th = document.createElement('th');
        th.scope = 'col';
        th.textContent = title;
        titles.append(th);
      }
      const lineBody = line.createTBody();
      for (const q of p.head) {
        const row = lineBody.insertRow();
        row.dataset.request = q.requestId;
        for (const text of [
          String(q.position),
          q.requestId,
          q.tier,
          String(q.quantity),
          time(q.eta),
          q.hold ? `held (${q.hold.scope} ${q.hold.target}): ${q.hold.reason}` : (q.reason ?? ''),
        ])
          cell(row, text);
      }
      host.append(line);
    }
  }
  const tiers = pools[0] ? Object.keys(pools[0].availableByTier) : [];
  drawChart(
    'pools-chart',
    'bar',
    pools.map((p) => p.poolId),
    tiers
      .flatMap((tier, i) => [
        {
          label: `${tier} used`,
          data: pools.map((p) => p.usedByTier[tier] ?? 0),
          color: Object.values(palette)[i % 6]!,
          stack: 'used',
        },
      ])
      .concat([
        {
          label: 'reserved (all tiers)',
          data: pools.map((p) => Object.values(p.reserved).reduce((a, b) => a + b, 0)),
          color: palette.reserved,
          stack: 'reserved',
        },
      ]),
    true,
    `Pools: ${pools.map((p) => `${p.poolId} ${p.used} of ${p.capacity} used`).join('; ')}`,
  );
}

function renderPlan(result: Awaited<ReturnType<typeof get<Plan>>>): void {
  const note = $('programme-note');
  const figure = $('burndown-figure');
  if (!result.ok) {
    note.textContent =
      result.status === 404
        ? 'No calendar is set: migrations run as they arrive (no programme to burn down).'
        : `The plan is not available: ${result.detail}`;
    figure.hidden = true;
    $('programme').replaceChildren();
    return;
  }
  const plan = result.data;
  note.textContent = `Deadline ${plan.deadline ?? '?'}; projected finish ${plan.projectedFinish ?? 'none'}${plan.onTrack === false ? ' — NOT on track' : plan.onTrack ? ' — on track' : ''}.${plan.notReady ? ` Not ready: ${plan.notReady.organisations} organisations (${plan.notReady.mailboxes} mailboxes).` : ''}`;
  const days = [...(plan.days ?? [])].sort((a, b) => a.date.localeCompare(b.date));
  const tiers = Object.keys(plan.byTier ?? {});
  const left = (tier: string, key: 'planned' | 'actual') => {
    let remaining = plan.byTier?.[tier]?.mailboxes ?? 0;
    return days.map((d) => (remaining -= d[key][tier] ?? 0));
  };
  figure.hidden = days.length === 0;
  drawChart(
    'burndown-chart',
    'line',
    days.map((d) => d.date),
    tiers.flatMap((tier, i) => [
      {
        label: `${tier} planned`,
        data: left(tier, 'planned'),
        color: Object.values(palette)[i % 6]!,
        dash: true,
      },
      { label: `${tier} actual`, data: left(tier, 'actual'), color: Object.values(palette)[i % 6]! },
    ]),
    false,
    `Burn-down to ${plan.deadline ?? 'the deadline'}: projected finish ${plan.projectedFinish ?? 'none'}`,
  );
  renderNotReady();
}

/** Not-ready organisations and their failing checks (GET /api/orgs?ready=false), refreshed twice a minute. */
let notReady: Array<{ orgId: string; name: string; failing: string[] }> = [];
let notReadyAt = 0;
function renderNotReady(): void {
  if (Date.now() - notReadyAt > 30_000) {
    notReadyAt = Date.now();
    void get<{ items: typeof notReady }>('/orgs?ready=false&limit=200').then((r) => {
      if (r.ok) {
        notReady = r.data.items;
        renderNotReady();
      }
    });
  }
  const host = $('programme');
  host.replaceChildren();
  if (notReady.length === 0) return;
  const table = document.createElement('table');
  table.id = 'not-ready';
  table.createCaption().textContent = 'Not ready: organisations and their failing checks';
  const head = table.createTHead().insertRow();
  for (const title of ['Organisation', 'Failing checks']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = title;
    head.append(th);
  }
  const body = table.createTBody();
  for (const org of notReady) {
    const row = body.insertRow();
    row.dataset.org = org.orgId;
    cell(row, `${org.name} (${org.orgId})`);
    cell(row, org.failing.join(', '));
  }
  host.append(table);
}

function showBanner(): void {
  const banner = $('banner');
  const age = Date.now() - lastSuccess;
  if (lastError) {
    banner.hidden = false;
    banner.textContent = `The API cannot be reached (${lastError}). ${lastSuccess ? `Showing data from ${new Date(lastSuccess).toLocaleTimeString()}.` : 'No data yet.'}`;
  } else if (lastSuccess && age > staleAfterMs) {
    banner.hidden = false;
    banner.textContent = `The data is stale: last updated ${Math.round(age / 1000)} s ago.`;
  } else banner.hidden = true;
}

const noCalendar = { ok: false as const, status: 404, detail: 'no calendar' };

async function refresh(): Promise<void> {
  try {
    const status = await get<Status>('/status/data');
    if (!status.ok) throw new Error(status.detail);
    // The plan only once there is a calendar (the status says): nothing is asked that cannot be answered.
    const plan = status.data.calendar ? await get<Plan>('/plan') : noCalendar;
    renderHolds(status.data.holds);
    renderTiers(status.data.tiers);
    renderPools(status.data.pools);
    renderPlan(plan);
    lastSuccess = Date.now();
    lastError = '';
    $('updated').textContent =
      `Updated ${new Date(status.data.at).toLocaleTimeString()} (every ${refreshMs / 1000} s)`;
    document.body.dataset.updatedAt = status.data.at;
  } catch (err: unknown) {
    lastError = err instanceof Error ? err.message : String(err);
  }
  showBanner();
}

void refresh();
setInterval(() => void refresh(), refreshMs);
setInterval(showBanner, 1000);
