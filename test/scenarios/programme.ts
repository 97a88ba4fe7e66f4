/**
 * `npm run scenario:programme` — the second source story, scaled: a national health service's migration
 * (1 % of it: 21,000 mailboxes, 250 organisations, the seed caps scaled alike) on the local stack with a
 * fast clock (a day passes in seconds). Some organisations are not ready and become ready part-way; a
 * tier-1 surge arrives mid-programme. It checks that every day stays within its caps, health goes first,
 * not-ready organisations do not block the others, the surge is absorbed with re-notifications, and every
 * mailbox migrates exactly once; prints the burn-down; exits non-zero when an invariant fails.
 * `test/e2e/programme.test.ts` runs a smaller version.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts, startLocalStack, type LocalStack } from '../../local/stack';
import { allRoles } from '../../shared/domain/identity/principal';
import type { MigrationCalendar } from '../../shared/domain/scheduling/calendar';
import {
  addDays,
  localDateOf,
  startOfLocalDay,
  type LocalDate,
} from '../../shared/domain/scheduling/local-date';
import { nhsCalendar, nhsProgramme, type NhsOrganisation } from '../fixtures/nhs-programme';
import { startCountingExecutor } from './counting-executor';

export interface ProgrammeOptions {
  scale: number;
  /** Real milliseconds one local day lasts. */
  dayInMs: number;
  /** Days between now and the calendar's start (time to register and submit, in simulated days). */
  leadDays: number;
  /** Overrides of the scaled seed caps (the small e2e version uses larger ones to finish in a few days). */
  caps?: MigrationCalendar['caps'];
  /** Days after the start when half, then all, of the not-ready organisations report ready. */
  readyAfterDays: [number, number];
  /** The tier-1 surge: how many mailboxes, and on which day after the start. */
  surge: { mailboxes: number; afterDays: number };
  /** Stop waiting after this many simulated days past the start. */
  maxDays: number;
  /** Keep only the smallest requests up to this many mailboxes (the small e2e version). */
  maxMailboxes?: number;
  log?: (line: string) => void;
}

/** Operations per migrated mailbox, measured: what the README's cost model prices. */
export interface CostCounts {
  mailboxes: number;
  table: { requests: number; batchEntities: number };
  blob: { writes: number; reads: number };
  serviceBus: { sent: number; delivered: number; settled: number; management: number };
  perMailbox: {
    tableRequests: number;
    tableEntityOps: number;
    blobWrites: number;
    blobReads: number;
    serviceBusOperations: number;
    executions: number;
  };
}

export interface ProgrammeResult {
  costs: CostCounts | null;
  days: Array<{ date: string; dayType: string; cap: number; planned: number; done: number }>;
  /**
   * `doubled`: mailboxes the back-end moved under two different keys (a real double migration); `resent`:
   * keys it was sent twice (absorbed by an idempotent back-end: items in flight run again after a lost lock).
   */
  totals: {
    requests: number;
    mailboxes: number;
    migrated: number;
    doubled: number;
    resent: number;
    lost: number;
  };
  surgeStart: LocalDate | null;
  surgeArrival: LocalDate;
  etaChangesAfterSurge: number;
  projectedFinish: string | null;
  violations: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runProgramme(options: ProgrammeOptions): Promise<ProgrammeResult> {
  const log = options.log ?? (() => undefined);
  const executor = await startCountingExecutor();
  const countsFile = path.join(mkdtempSync(path.join(tmpdir(), 'triage-counts-')), 'counts.json');
  const anchorMs = Date.now();
  const speed = 86_400_000 / options.dayInMs;
  const stack = await startLocalStack({
    ...freePorts,
    startTimeoutInMs: 60_000,
    settings: {
      TRIAGE_CLOCK_SPEED: String(speed),
      TRIAGE_CLOCK_ANCHOR: new Date(anchorMs).toISOString(),
      TRIAGE_EXECUTOR: 'http',
      TRIAGE_EXECUTOR_URL: executor.url,
      TRIAGE_EXECUTOR_MAX_ATTEMPTS: '3',
      TRIAGE_BATCH_SIZE: '50',
      TRIAGE_ITEM_CONCURRENCY: '16',
      TRIAGE_OPERATION_COUNTS_FILE: countsFile,
    },
  });
  try {
    const result = await programme(
      stack,
      options,
      log,
      executor,
      () => anchorMs + (Date.now() - anchorMs) * speed,
    );
    return { ...result, costs: await costsOf(stack, countsFile, result.totals.migrated) };
  } finally {
    await stack.stop();
    await executor.close();
  }
}

async function programme(
  stack: LocalStack,
  options: ProgrammeOptions,
  log: (line: string) => void,
  backEnd: { successes: Map<string, number>; keysByMailbox: Map<string, Set<string>> },
  simNow: () => number,
): Promise<ProgrammeResult> {
  // The scenario acts as one principal: every role, a requester of every organisation it uses.
  let authorization: Record<string, string> = {};
  const api = async (method: string, route: string, body?: unknown, contentType = 'application/json') => {
    const response = await fetch(`${stack.hostUrl}/api${route}`, {
      method,
      headers: { 'content-type': contentType, ...authorization },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400)
      throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 500)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const violations: string[] = [];
  const zone = 'Europe/London';
  const today = () => localDateOf(simNow(), zone);
  const start = addDays(today(), options.leadDays);
  const untilDay = async (date: LocalDate) => {
    while (simNow() < startOfLocalDay(date, zone)) await sleep(50);
  };
  const all = nhsProgramme({ scale: options.scale, start, seed: 7 });
  const kept = [...all.claims].sort((a, b) => a.mailboxes - b.mailboxes);
  let budget = options.maxMailboxes ?? Infinity;
  const claimsKept = kept.filter((c) => (budget -= c.mailboxes) >= 0);
  const orgsKept = new Set(claimsKept.map((c) => c.orgId));
  const generated = {
    ...all,
    claims: claimsKept,
    organisations: all.organisations.filter((o) => orgsKept.has(o.orgId)),
    totals: { ...all.totals, mailboxes: claimsKept.reduce((n, c) => n + c.mailboxes, 0) },
  };
  const token = await stack.tokenIssuer?.mint({
    roles: allRoles,
    orgs: [...generated.organisations.map((o) => o.orgId), 'surge-trust'],
    subject: 'programme-scenario',
    ttlInSeconds: 24 * 3600,
  });
  if (token) authorization = { authorization: `Bearer ${token}` };
  const calendar = { ...nhsCalendar(options.scale, start), ...(options.caps ? { caps: options.caps } : {}) };
  const checks = calendar.requiredChecks;
  log(
    `${generated.organisations.length} organisations, ${generated.totals.mailboxes} mailboxes; the programme starts ${start}`,
  );

  const row = (o: NhsOrganisation) =>
    [
      o.orgId,
      o.orgId,
      o.sector,
      o.tier,
      o.tier === 'standard' ? '' : 'scenario: NHS ODS',
      ...checks.map((c) => (o.ready || c !== 'licences' ? 'pass' : 'fail')),
    ].join(',');
  const csv = [
    `orgId,name,sector,tier,evidence,${checks.join(',')}`,
    ...generated.organisations.map(row),
  ].join('\n');
  await api('POST', '/orgs/import', csv, 'text/csv');
  await api('PUT', '/calendar', calendar);

  const submitted: Array<{ id: string; orgId: string; tier: string; mailboxes: number }> = [];
  const submit = async (orgId: string, tier: string, count: number, sizeBytes: number, tag: string) => {
    const mailboxes = Array.from({ length: count }, (_, i) => ({
      address: `${tag}-${i}@${orgId}.example`,
      sizeBytes,
    }));
    const created = await api('POST', '/requests', { kind: 'migrate', orgId, mailboxes });
    submitted.push({ id: String(created.id), orgId, tier, mailboxes: count });
  };
  const claims = generated.claims;
  for (let i = 0; i < claims.length; i += 8) {
    await Promise.all(
      claims
        .slice(i, i + 8)
        .map((c, k) =>
          submit(c.orgId, c.tier, c.mailboxes, Math.floor(c.bytes / Math.max(1, c.mailboxes)), `m${i + k}`),
        ),
    );
  }
  log(`${submitted.length} migrations submitted by ${today()} (simulated)`);

  const notReady = generated.organisations.filter((o) => !o.ready);
  const ready = async (orgs: NhsOrganisation[]) => {
    for (let i = 0; i < orgs.length; i += 8) {
      await Promise.all(
        orgs.slice(i, i + 8).map((o) =>
          api('PUT', `/orgs/${o.orgId}/readiness`, {
            checks: checks.map((name) => ({ name, status: 'pass' })),
          }),
        ),
      );
    }
  };
  await untilDay(addDays(start, options.readyAfterDays[0]));
  await ready(notReady.slice(0, Math.ceil(notReady.length / 2)));
  log(`${today()}: half of the ${notReady.length} not-ready organisations report ready`);

  const surgeArrival = addDays(start, options.surge.afterDays);
  await untilDay(surgeArrival);
  await api('PUT', '/orgs/surge-trust', {
    name: 'Surge trust',
    sector: 'acute',
    tier: 'health',
    evidence: 'scenario: major incident',
  });
  await api('PUT', '/orgs/surge-trust/readiness', {
    checks: checks.map((name) => ({ name, status: 'pass' })),
  });
  const beforeSurge = new Set(submitted.map((s) => s.id));
  await submit('surge-trust', 'health', options.surge.mailboxes, 1_000_000_000, 'surge');
  const surgeId = submitted.at(-1)!.id;
  log(`${today()}: a tier-1 surge of ${options.surge.mailboxes} mailboxes`);

  await untilDay(addDays(start, options.readyAfterDays[1]));
  await ready(notReady.slice(Math.ceil(notReady.length / 2)));
  log(`${today()}: the rest report ready`);

  const deadline = addDays(start, options.maxDays);
  let finished = false;
  while (!finished && simNow() < startOfLocalDay(deadline, zone)) {
    await sleep(1000);
    const listed = await Promise.all(submitted.map((s) => api('GET', `/requests/${s.id}`)));
    finished = listed.every((r) => r.status === 'completed' || r.status === 'completed-with-errors');
    if (!finished && Math.random() < 0.2)
      log(
        `${today()}: ${listed.filter((r) => r.status === 'completed').length} of ${submitted.length} migrations done`,
      );
  }
  await sleep(1500); // the last actuals and the last plan

  const plan = await api('GET', '/plan');
  const views = new Map(
    await Promise.all(submitted.map(async (s) => [s.id, await api('GET', `/requests/${s.id}`)] as const)),
  );
  const days = (
    plan.days as Array<{
      date: string;
      dayType: string;
      cap: { mailboxes: number };
      planned: Record<string, number>;
      actual: Record<string, number>;
    }>
  ).map((d) => ({
    date: d.date,
    dayType: d.dayType,
    cap: d.cap.mailboxes,
    planned: Object.values(d.planned).reduce((a, b) => a + b, 0),
    done: Object.values(d.actual).reduce((a, b) => a + b, 0),
  }));
  for (const d of days)
    if (d.planned > d.cap) violations.push(`${d.date}: ${d.planned} planned over its cap ${d.cap}`);
  const total = submitted.reduce((n, s) => n + s.mailboxes, 0);
  let migrated = 0;
  let resent = 0;
  for (const s of submitted) {
    for (const [key, n] of backEnd.successes) {
      if (!key.startsWith(`${s.id}:`)) continue;
      migrated++;
      if (n > 1) resent++;
    }
  }
  const doubled = [...backEnd.keysByMailbox.values()].filter((keys) => keys.size > 1).length;
  // Every key moved a mailbox the back-end could name (else the double check above would see nothing).
  if (backEnd.keysByMailbox.size + doubled < migrated)
    violations.push(`${migrated} keys moved only ${backEnd.keysByMailbox.size} named mailboxes`);
  const lost = total - migrated;
  if (doubled > 0) violations.push(`${doubled} mailbox(es) migrated more than once (under different keys)`);
  if (finished && lost !== 0) violations.push(`${lost} mailbox(es) not migrated`);
  if (!finished) violations.push(`not finished by ${deadline}`);
  // Not-ready organisations do not block the others: before any became ready, the ready work filled the days.
  const earlyDays = days.filter(
    (d) => d.date >= start && d.date < addDays(start, options.readyAfterDays[0]) && d.cap > 0,
  );
  for (const d of earlyDays) {
    if (d.planned < 0.6 * d.cap)
      violations.push(`${d.date}: only ${d.planned} of ${d.cap} used while ready work waited`);
  }
  // The surge starts at once (the next plannable day) and was told.
  const surge = views.get(surgeId)!;
  const surgeHistory = surge.history as Array<{ status?: string; at: string; message?: string }>;
  const firstWave = surgeHistory.find((h) => h.message?.startsWith('wave '))?.message?.slice(5, 15) ?? null;
  if (!firstWave || firstWave > addDays(surgeArrival, 2))
    violations.push(`the tier-1 surge started ${firstWave ?? 'never'}, after ${surgeArrival}`);
  const surgeAtMs = startOfLocalDay(surgeArrival, zone);
  let etaChangesAfterSurge = 0;
  for (const [id, view] of views) {
    if (!beforeSurge.has(id)) continue;
    const told = (view.history as Array<{ notification?: string; at: string }>).filter(
      (h) => h.notification === 'request.eta-changed' && Date.parse(h.at) >= surgeAtMs,
    );
    etaChangesAfterSurge += told.length;
  }
  if (etaChangesAfterSurge === 0) violations.push('nobody was told their dates moved when the surge arrived');
  return {
    costs: null,
    days,
    totals: { requests: submitted.length, mailboxes: total, migrated, doubled, resent, lost },
    surgeStart: firstWave,
    surgeArrival,
    etaChangesAfterSurge,
    projectedFinish: (plan.projectedFinish as string | null) ?? null,
    violations,
  };
}

/** Storage operations as the app counted them, Service Bus operations as the broker counted them, per mailbox. */
async function costsOf(stack: LocalStack, countsFile: string, mailboxes: number): Promise<CostCounts | null> {
  await sleep(1200); // the app writes its counts every second
  if (!existsSync(countsFile) || mailboxes === 0) return null;
  const app = JSON.parse(readFileSync(countsFile, 'utf8')) as {
    table: CostCounts['table'] & { batches: number };
    blob: CostCounts['blob'];
  };
  const serviceBus = (await (
    await fetch(stack.serviceBusMetricsUrl.replace(/\/entities$/, '/operations'))
  ).json()) as CostCounts['serviceBus'];
  const per = (n: number) => Math.round((n / mailboxes) * 1000) / 1000;
  const entityOps = app.table.requests - app.table.batches + app.table.batchEntities;
  return {
    mailboxes,
    table: { requests: app.table.requests, batchEntities: app.table.batchEntities },
    blob: app.blob,
    serviceBus,
    perMailbox: {
      tableRequests: per(app.table.requests),
      tableEntityOps: per(entityOps),
      blobWrites: per(app.blob.writes),
      blobReads: per(app.blob.reads),
      serviceBusOperations: per(
        serviceBus.sent + serviceBus.delivered + serviceBus.settled + serviceBus.management,
      ),
      // Every Service Bus-triggered invocation is one delivery.
      executions: per(serviceBus.delivered),
    },
  };
}

/** The burn-down table the scenario prints. */
export function formatBurnDown(result: ProgrammeResult): string {
  let remaining = result.totals.mailboxes;
  const lines = ['date        type      cap    planned  done   remaining'];
  for (const d of result.days) {
    remaining -= d.done;
    lines.push(
      `${d.date}  ${d.dayType.padEnd(8)}  ${String(d.cap).padStart(5)}  ${String(d.planned).padStart(7)}  ${String(d.done).padStart(5)}  ${String(remaining).padStart(9)}`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  runProgramme({
    scale: 0.01,
    dayInMs: 4000,
    leadDays: 8,
    readyAfterDays: [14, 28],
    surge: { mailboxes: 2000, afterDays: 21 },
    maxDays: 120,
    log: (l) => console.log(`· ${l}`),
  })
    .then((result) => {
      console.log(`\n${formatBurnDown(result)}\n`);
      const t = result.totals;
      console.log(
        `${t.requests} migrations, ${t.mailboxes} mailboxes: ${t.migrated} migrated, ${t.doubled} twice, ${t.lost} lost, ${t.resent} re-sent under the same key`,
      );
      console.log(
        `tier-1 surge arrived ${result.surgeArrival}, started ${result.surgeStart}; ${result.etaChangesAfterSurge} requesters told their dates moved`,
      );
      if (result.costs)
        console.log(
          `operations per migrated mailbox (the README's cost model): ${JSON.stringify(result.costs.perMailbox)}`,
        );
      if (result.violations.length > 0) {
        console.error(
          `\n${result.violations.length} invariant(s) failed:\n  ${result.violations.slice(0, 20).join('\n  ')}`,
        );
        process.exitCode = 1;
      } else console.log('every invariant held');
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
