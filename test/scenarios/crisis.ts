/**
 * `npm run scenario:crisis` — the first source story on the local stack: a cloud short of capacity serves
 * health first, then government, then remote work, then everyone else, and warns those who wait. A pool too
 * small for the demand; a standard flood arrives first, then remote-work and government; capacity is added
 * through the pool's schedule; health arrives just after and is admitted ahead of everyone, by pushing back
 * standard work that was admitted but has not started. Every requester has a webhook; the run prints a table
 * per tier and exits non-zero when an invariant fails. `test/e2e/crisis.test.ts` runs a smaller version.
 */
import { freePorts, startLocalStack, type LocalStack } from '../../local/stack';
import { allRoles } from '../../shared/domain/identity/principal';
import type { RequestNotification } from '../../shared/domain/notifications';
import { startWebhookReceiver, type ReceivedWebhook } from './webhook-receiver';

export interface CrisisOptions {
  /** Standard requests in the flood (each one vm core). */
  flood: number;
  /** Requests per higher tier. */
  perTier: number;
  /** The pool's capacity at the start, and after the scheduled raise. */
  capacity: number;
  raisedCapacity: number;
  /** How long one provisioning takes (the simulated back-end's latency). */
  provisionMs: number;
  /** When the raise is scheduled, after the higher tiers arrive. */
  raiseAfterMs: number;
  log?: (line: string) => void;
}

export interface TierRow {
  tier: string;
  requested: number;
  admitted: number;
  deferred: number;
  meanWaitMs: number;
  maxWaitMs: number;
  notifications: number;
}

export interface CrisisResult {
  rows: TierRow[];
  preempted: number;
  healthAdmittedWithinMs: number;
  violations: string[];
  webhooks: number;
}

const tiers = ['health', 'government', 'remote-work', 'standard'] as const;
const secret = 'crisis-scenario-webhook-secret';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCrisis(options: CrisisOptions): Promise<CrisisResult> {
  const log = options.log ?? (() => undefined);
  const receiver = await startWebhookReceiver(secret);
  const stack = await startLocalStack({
    ...freePorts,
    startTimeoutInMs: 60_000,
    settings: {
      TRIAGE_EXECUTOR_LATENCY_MIN_MS: String(options.provisionMs),
      TRIAGE_EXECUTOR_LATENCY_MAX_MS: String(options.provisionMs),
      TRIAGE_WEBHOOK_SECRET: secret,
      TRIAGE_WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
  try {
    return await crisis(stack, receiver, options, log);
  } finally {
    await stack.stop();
    await receiver.close();
  }
}

async function crisis(
  stack: LocalStack,
  receiver: { url: string; received: ReceivedWebhook[] },
  options: CrisisOptions,
  log: (line: string) => void,
): Promise<CrisisResult> {
  const orgOf = (tier: string, i: number) => `${tier}-org-${i}`;
  // The scenario acts as one principal: every role, a requester of every organisation it creates.
  const orgIds = tiers.flatMap((tier) =>
    Array.from({ length: tier === 'standard' ? options.flood : options.perTier }, (_, i) => orgOf(tier, i)),
  );
  const token = await stack.tokenIssuer?.mint({ roles: allRoles, orgs: orgIds, subject: 'crisis-scenario' });
  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${stack.hostUrl}/api${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const violations: string[] = [];
  const submitted = new Map<string, { tier: string; atMs: number }>();
  const submit = async (orgId: string, tier: string) => {
    const created = await api('POST', '/requests', {
      kind: 'provision',
      orgId,
      resource: { type: 'vm', quantity: 1, region: 'uksouth' },
    });
    submitted.set(String(created.id), { tier, atMs: Date.now() });
  };
  log('registering organisations with webhooks');
  for (const tier of tiers) {
    const count = tier === 'standard' ? options.flood : options.perTier;
    for (let i = 0; i < count; i++) {
      await api('PUT', `/orgs/${orgOf(tier, i)}`, {
        name: `${tier} ${i}`,
        sector: tier,
        tier,
        ...(tier === 'standard' ? {} : { evidence: 'crisis scenario: verified by the programme office' }),
        notify: { webhookUrl: receiver.url },
      });
    }
  }
  await api('PUT', '/pools/vm-uksouth', {
    resourceType: 'vm',
    region: 'uksouth',
    capacity: options.capacity,
  });

  // Never over capacity, watched throughout.
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pool = await api('GET', '/pools/vm-uksouth').catch(() => undefined);
      if (pool && Number(pool.used) > Number(pool.capacity))
        violations.push(`over capacity: ${String(pool.used)} of ${String(pool.capacity)}`);
      await sleep(100);
    }
  })();

  const settled = (expectedWaiting: number) =>
    waitFor(
      async () => {
        const pool = await api('GET', '/pools/vm-uksouth');
        const waiting = Object.values(pool.waitingByTier as Record<string, number>).reduce(
          (a, b) => a + b,
          0,
        );
        return waiting >= expectedWaiting;
      },
      120_000,
      `${expectedWaiting} claims to wait`,
    );
  log(`a flood of ${options.flood} standard requests`);
  await Promise.all(
    Array.from({ length: options.flood }, (_, i) => submit(orgOf('standard', i), 'standard')),
  );
  await settled(options.flood - options.capacity);
  log('then remote-work and government');
  for (const tier of ['remote-work', 'government'] as const) {
    for (let i = 0; i < options.perTier; i++) await submit(orgOf(tier, i), tier);
  }
  await settled(options.flood - options.capacity + 2 * options.perTier);
  const raiseAt = Date.now() + options.raiseAfterMs;
  log(`capacity ${options.capacity} → ${options.raisedCapacity} scheduled at +${options.raiseAfterMs} ms`);
  await api('PUT', '/pools/vm-uksouth', {
    resourceType: 'vm',
    region: 'uksouth',
    capacity: options.capacity,
    schedule: [{ at: new Date(raiseAt).toISOString(), capacity: options.raisedCapacity }],
  });
  await waitFor(
    async () => Number((await api('GET', '/pools/vm-uksouth')).capacity) === options.raisedCapacity,
    30_000,
    'the scheduled raise',
  );
  const raisedObservedMs = Date.now();
  if (raisedObservedMs - raiseAt > 2500)
    violations.push(`the scheduled raise took ${raisedObservedMs - raiseAt} ms to apply`);

  log('health arrives');
  const healthAt = Date.now();
  await Promise.all(Array.from({ length: options.perTier }, (_, i) => submit(orgOf('health', i), 'health')));
  const healthIds = [...submitted].filter(([, s]) => s.tier === 'health').map(([id]) => id);
  await waitFor(
    async () => {
      const states = await Promise.all(healthIds.map((id) => api('GET', `/requests/${id}`)));
      return states.every((s) => s.status === 'running' || s.status === 'completed');
    },
    60_000,
    'health to start',
  );
  const healthAdmittedWithinMs = Date.now() - healthAt;

  // Let everything that can run finish, and the notifications arrive.
  await waitFor(
    async () => {
      const states = await Promise.all([...submitted.keys()].map((id) => api('GET', `/requests/${id}`)));
      return states.every((s) => s.status === 'completed' || s.status === 'deferred');
    },
    180_000,
    'admitted work to finish',
  );
  await sleep(2000);
  watching = false;
  await watcher;

  const final = new Map<string, Record<string, unknown>>();
  for (const id of submitted.keys()) final.set(id, await api('GET', `/requests/${id}`));
  const hooks = receiver.received;
  const byRequest = new Map<string, RequestNotification[]>();
  for (const h of hooks) {
    if (!h.signatureValid) violations.push(`a webhook for ${h.event.requestId} had a bad signature`);
    byRequest.set(h.event.requestId, [...(byRequest.get(h.event.requestId) ?? []), h.event]);
  }
  const rows: TierRow[] = tiers.map((tier) => {
    const mine = [...submitted].filter(([, s]) => s.tier === tier);
    const waits: number[] = [];
    let admitted = 0;
    let deferred = 0;
    for (const [id, s] of mine) {
      const view = final.get(id)!;
      const history = view.history as Array<{ notification?: string; at: string; status?: string }>;
      const ranAt = history.find((h) => h.status === 'running')?.at;
      if (ranAt) {
        admitted++;
        waits.push(Date.parse(ranAt) - s.atMs);
      }
      if (history.some((h) => h.notification === 'request.deferred')) deferred++;
      // No silent drops: whoever waited was told, with a position.
      const told = byRequest.get(id) ?? [];
      if (
        history.some((h) => h.status === 'deferred') &&
        !told.some((n) => n.type === 'request.deferred' && n.position !== null)
      ) {
        violations.push(`${id} (${tier}) waited without a request.deferred webhook carrying its position`);
      }
      if (view.status !== 'completed' && view.status !== 'deferred')
        violations.push(`${id} (${tier}) ended ${String(view.status)}`);
    }
    return {
      tier,
      requested: mine.length,
      admitted,
      deferred,
      meanWaitMs: waits.length ? Math.round(waits.reduce((a, b) => a + b, 0) / waits.length) : 0,
      maxWaitMs: waits.length ? Math.max(...waits) : 0,
      notifications: mine.reduce((n, [id]) => n + (byRequest.get(id)?.length ?? 0), 0),
    };
  });
  // Strict tier order at the raise: no lower-tier claim admitted while a higher-tier one that arrived before still waits.
  const ranAt = (id: string) => {
    const history = final.get(id)!.history as Array<{ at: string; status?: string }>;
    const at = history.find((h) => h.status === 'running')?.at;
    return at ? Date.parse(at) : Infinity;
  };
  for (const [low, lowInfo] of submitted) {
    for (const [high, highInfo] of submitted) {
      if (
        tiers.indexOf(highInfo.tier as (typeof tiers)[number]) >=
        tiers.indexOf(lowInfo.tier as (typeof tiers)[number])
      )
        continue;
      const lowAdmitted = ranAt(low);
      if (lowAdmitted > raisedObservedMs - 1000 && highInfo.atMs < lowAdmitted && ranAt(high) === Infinity) {
        violations.push(`${lowInfo.tier} ${low} ran while ${highInfo.tier} ${high} still waited`);
      }
    }
  }
  // Pushed back: admitted (deferred → queued), then waiting again before it ran.
  const pushedBack = [...final.entries()].filter(([, v]) => {
    const statuses = (v.history as Array<{ status?: string; type: string }>)
      .filter((h) => h.type === 'status')
      .map((h) => h.status);
    const admittedAt = statuses.findIndex((s, i) => s === 'queued' && statuses[i - 1] === 'deferred');
    return (
      admittedAt >= 0 &&
      statuses.indexOf('deferred', admittedAt) > admittedAt &&
      !statuses.slice(admittedAt, statuses.indexOf('deferred', admittedAt)).includes('running')
    );
  });
  const preempted = pushedBack.length;
  // Each one pushed back is told again: its new wait (with position and ETA), after it was admitted.
  for (const [id] of pushedBack) {
    const told = byRequest.get(id) ?? [];
    const admittedAt = told.find((n) => n.type === 'request.admitted')?.at ?? '';
    const retold = told.some(
      (n) =>
        ['request.preempted', 'request.deferred', 'request.eta-changed'].includes(n.type) &&
        n.at >= admittedAt,
    );
    if (!retold) violations.push(`${id} was pushed back but not told again`);
  }
  return { rows, preempted, healthAdmittedWithinMs, violations, webhooks: hooks.length };
}

async function waitFor(check: () => Promise<boolean>, timeoutInMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutInMs} ms waiting for ${what}`);
}

/** The table the scenario prints. */
export function formatCrisis(result: CrisisResult): string {
  const header = ['tier', 'requested', 'admitted', 'told deferred', 'mean wait', 'max wait', 'webhooks'];
  const lines = [
    header,
    ...result.rows.map((r) =>
      [
        r.tier,
        r.requested,
        r.admitted,
        r.deferred,
        `${r.meanWaitMs} ms`,
        `${r.maxWaitMs} ms`,
        r.notifications,
      ].map(String),
    ),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

if (require.main === module) {
  runCrisis({
    flood: 60,
    perTier: 6,
    capacity: 30,
    raisedCapacity: 50,
    provisionMs: 8000,
    raiseAfterMs: 2000,
    log: (l) => console.log(`· ${l}`),
  })
    .then((result) => {
      console.log(`\n${formatCrisis(result)}\n`);
      console.log(
        `health started within ${result.healthAdmittedWithinMs} ms of arriving; ${result.preempted} not-started standard claims pushed back; ${result.webhooks} signed webhooks`,
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
