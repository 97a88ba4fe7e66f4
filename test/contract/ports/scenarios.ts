/**
 * Port contract scenarios: the same expectations over every implementation of a port — the in-memory fakes
 * the unit tests use and the Table/Blob adapters on Azurite — so a fake cannot drift from production again.
 */
import type { AppPorts } from '../../../shared/app/context';
import { isTriageError } from '../../../shared/domain/errors';
import type { RequestRecord } from '../../../shared/domain/records';
import {
  emptySummary,
  type PoolClaimRecord,
  type PoolLedger,
} from '../../../shared/domain/scheduling/pool-claims';

/** The storage ports (Service Bus and the executors have their own contract suites). */
export type PortsUnderTest = Omit<AppPorts, 'publisher' | 'executor' | 'tokens'>;

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++seq}`;

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const at = new Date().toISOString();
  return {
    id: unique('req'),
    kind: 'migrate',
    orgId: 'org-1',
    tier: 'health',
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    inventory: '_requests/x.ndjson',
    batchesCompleted: 0,
    total: 0,
    succeeded: 0,
    failed: 0,
    retryCount: 0,
    ...overrides,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isTriageError(err) ? err.code : err === undefined ? undefined : `not a TriageError: ${String(err)}`;
}

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const withoutEtag = <T extends { etag?: string }>({ etag: _etag, ...rest }: T) => rest;

/** Registers the scenarios for one implementation; `ports()` is called after the suite's `beforeAll`. */
export function portContract(name: string, ports: () => PortsUnderTest): void {
  describe(`${name}: RequestStore`, () => {
    test('create, point read, ETag-checked update; a duplicate create is a conflict; unknown is null', async () => {
      const { requests } = ports();
      const created = await requests.create(
        request({
          kind: 'provision',
          inventory: undefined,
          resource: { type: 'vm', quantity: 4, region: 'uksouth' },
          holdUntil: '2026-12-24T18:00:00.000Z',
          poolId: 'vm-uksouth',
        }),
      );
      expect(created.etag).toBeTruthy();
      expect(await codeOf(requests.create(created))).toBe('conflict');
      const read = await requests.get(created.id);
      expect(read && withoutEtag(read)).toEqual(withoutEtag({ ...created, deadLettered: false }));
      const updated = await requests.update({ ...read!, status: 'running' });
      expect(updated.etag).not.toBe(read!.etag);
      expect(await codeOf(requests.update({ ...read!, status: 'failed' }))).toBe('concurrency');
      expect((await requests.get(created.id))?.status).toBe('running');
      expect(await requests.get(unique('missing'))).toBeNull();
    });

    test('list filters by organisation, tier, status and kind, and pages with a token', async () => {
      const { requests } = ports();
      const orgId = unique('org');
      for (let i = 0; i < 5; i++) {
        await requests.create(
          request({ orgId, tier: i % 2 ? 'standard' : 'health', status: i < 3 ? 'queued' : 'completed' }),
        );
      }
      const page1 = await requests.list({ orgId }, 3);
      expect(page1.items).toHaveLength(3);
      expect(page1.continuationToken).toBeTruthy();
      const page2 = await requests.list({ orgId }, 3, page1.continuationToken);
      expect(new Set([...page1.items, ...page2.items].map((r) => r.id)).size).toBe(5);
      expect((await requests.list({ orgId, tier: 'standard' }, 50)).items).toHaveLength(2);
      const completed = await requests.list({ orgId, status: 'completed' }, 50);
      expect(completed.items.map((r) => r.status)).toEqual(['completed', 'completed']);
      expect((await requests.list({ orgId, kind: 'provision' }, 50)).items).toHaveLength(0);
    });

    test('across organisations: newest first, paged; totals follow every status change', async () => {
      const { requests } = ports();
      const tier = unique('tier');
      const cell = async (status: string) =>
        ((await requests.totals())[tier] as Record<string, { requests: number; mailboxes: number }>)?.[
          status
        ];
      // Far in the future, so these are the newest of the store whatever other scenarios wrote.
      const base = Date.parse('2099-01-01T00:00:00Z') + (seq % 1000) * 86_400_000;
      const created: RequestRecord[] = [];
      for (let i = 0; i < 4; i++) {
        const at = new Date(base + i * 1000).toISOString();
        created.push(await requests.create(request({ tier, createdAt: at, updatedAt: at, total: 10 })));
      }
      const newest = await requests.list({ tier }, 3);
      expect(newest.items.map((r) => r.id)).toEqual(
        created
          .slice(1)
          .reverse()
          .map((r) => r.id),
      );
      const rest = await requests.list({ tier }, 3, newest.continuationToken);
      expect(rest.items.map((r) => r.id)).toEqual([created[0]!.id]);
      expect(await cell('queued')).toMatchObject({ requests: 4, mailboxes: 40 });
      await requests.update({ ...(await requests.get(created[2]!.id))!, status: 'running' });
      expect((await requests.list({ tier, status: 'running' }, 10)).items.map((r) => r.id)).toEqual([
        created[2]!.id,
      ]);
      expect(await cell('queued')).toMatchObject({ requests: 3 });
      expect(await cell('running')).toMatchObject({ requests: 1, mailboxes: 10 });
      expect(await cell('running')).toMatchObject({ requests: 1 }); // cached: the same again
    });

    test('batches: ensureBatches keeps existing state; list is ordered; one transaction commits batch and request or neither', async () => {
      const { requests } = ports();
      const r = await requests.create(request());
      const batch = (n: number) => ({
        requestId: r.id,
        batchNumber: n,
        status: 'queued' as const,
        total: 10,
        succeeded: 0,
        failed: 0,
        manifest: `${r.id}/batch-000${n}.ndjson`,
      });
      await requests.ensureBatches([batch(2), batch(1)]);
      const first = (await requests.getBatch(r.id, 1))!;
      await requests.updateBatch({ ...first, status: 'running' });
      await requests.ensureBatches([batch(1), batch(2), batch(3)]);
      expect((await requests.listBatches(r.id)).map((b) => [b.batchNumber, b.status])).toEqual([
        [1, 'running'],
        [2, 'queued'],
        [3, 'queued'],
      ]);
      expect(await requests.getBatch(r.id, 9)).toBeNull();

      const b = (await requests.getBatch(r.id, 1))!;
      const req = (await requests.get(r.id))!;
      await requests.commitBatchAndRequest(
        { ...b, status: 'completed', succeeded: 10 },
        { ...req, succeeded: 10, batchesCompleted: 1 },
      );
      // Both stale now: the second commit changes neither.
      expect(
        await codeOf(requests.commitBatchAndRequest({ ...b, succeeded: 99 }, { ...req, succeeded: 99 })),
      ).toBe('concurrency');
      // Only the request stale: the batch is not written either.
      const b2 = (await requests.getBatch(r.id, 2))!;
      expect(
        await codeOf(requests.commitBatchAndRequest({ ...b2, succeeded: 5 }, { ...req, succeeded: 5 })),
      ).toBe('concurrency');
      expect((await requests.getBatch(r.id, 2))?.succeeded).toBe(0);
      expect(await requests.get(r.id)).toMatchObject({ succeeded: 10, batchesCompleted: 1 });
      expect(await requests.getBatch(r.id, 1)).toMatchObject({ status: 'completed', succeeded: 10 });
      expect(await codeOf(requests.updateBatch({ ...b, failed: 1 }))).toBe('concurrency');
    });
  });

  describe(`${name}: ItemStore, EventStore, OrgStore, IdempotencyStore`, () => {
    test('items: written in any number, upserted by index, listed per batch', async () => {
      const { items } = ports();
      const requestId = unique('req');
      const at = new Date().toISOString();
      const records = Array.from({ length: 150 }, (_, index) => ({
        index,
        address: `u${index}@x.example`,
        status: 'succeeded' as const,
        attempts: 1,
        at,
      }));
      await items.write(requestId, 1, records);
      await items.write(requestId, 1, [
        { index: 3, address: 'u3@x.example', status: 'failed', attempts: 2, reason: 'locked', at },
      ]);
      const listed = await items.list(requestId, 1);
      expect(listed).toHaveLength(150);
      expect(listed.find((i) => i.index === 3)).toEqual({
        index: 3,
        address: 'u3@x.example',
        status: 'failed',
        attempts: 2,
        reason: 'locked',
        at,
      });
      expect(await items.list(requestId, 2)).toEqual([]);
    });

    test('items, batches and requests keep a long-running operation, and lose it once it ends', async () => {
      const { items, requests } = ports();
      const at = new Date().toISOString();
      const operation = {
        url: 'https://backend.example/ops/42?x=1',
        startedAt: at,
        deadlineAt: at,
        nextPollAt: at,
        polls: 3,
      };
      const r = await requests.create(request());
      const running = await requests.update({ ...r, status: 'running', operation });
      expect((await requests.get(r.id))?.operation).toEqual(operation);
      await requests.update({ ...running, status: 'completed', operation: undefined });
      expect((await requests.get(r.id))?.operation).toBeUndefined();

      await items.write(r.id, 1, [
        { index: 0, address: 'u0@x.example', status: 'in-progress', attempts: 1, at, operation },
      ]);
      expect(await items.list(r.id, 1)).toEqual([
        { index: 0, address: 'u0@x.example', status: 'in-progress', attempts: 1, at, operation },
      ]);
      await items.write(r.id, 1, [
        { index: 0, address: 'u0@x.example', status: 'succeeded', attempts: 1, at },
      ]);
      expect(await items.list(r.id, 1)).toEqual([
        { index: 0, address: 'u0@x.example', status: 'succeeded', attempts: 1, at },
      ]);

      await requests.ensureBatches([
        {
          requestId: r.id,
          batchNumber: 1,
          status: 'queued',
          total: 1,
          succeeded: 0,
          failed: 0,
          manifest: 'm',
        },
      ]);
      const b = (await requests.getBatch(r.id, 1))!;
      await requests.updateBatch({ ...b, status: 'running', inProgress: 7 });
      expect((await requests.getBatch(r.id, 1))?.inProgress).toBe(7);
    });

    test('events: appended in order with unique ids, unpublished until marked', async () => {
      const { events } = ports();
      const requestId = unique('req');
      const at = new Date().toISOString();
      const a = await events.append({ requestId, at, type: 'status', status: 'received', message: 'first' });
      const b = await events.append({ requestId, at, type: 'note', message: 'second' });
      const c = await events.append({
        requestId,
        at,
        type: 'status',
        status: 'deferred',
        requestStatus: 'deferred',
        notification: 'request.deferred',
        position: 4,
        eta: null,
        message: 'no capacity is expected to free up',
      });
      expect(a.eventId).not.toBe(b.eventId);
      expect(a.published).toBe(false);
      await events.markPublished(requestId, a.eventId);
      const listed = await events.list(requestId);
      expect(listed.map((e) => [e.message, e.published])).toEqual([
        ['first', true],
        ['second', false],
        ['no capacity is expected to free up', false],
      ]);
      expect(listed[2]).toEqual({ ...c, published: false });
      expect(listed[1]).not.toHaveProperty('eta');
    });

    test('orgs: unknown is null; upsert replaces, with every field, and appends its audit entry atomically', async () => {
      const { orgs } = ports();
      const orgId = unique('org');
      expect(await orgs.get(orgId)).toBeNull();
      expect(await orgs.listAudit(orgId)).toEqual([]);
      const at = new Date().toISOString();
      const first = {
        orgId,
        name: 'A',
        sector: 'health',
        tier: 'health',
        evidence: 'NHS ODS code RX1',
        updatedAt: at,
      };
      await orgs.upsert(first, {
        orgId,
        at,
        actor: 'admin',
        action: 'registered',
        toTier: 'health',
        evidence: 'NHS ODS code RX1',
      });
      const second = {
        orgId,
        name: 'B',
        sector: 'health',
        tier: 'government',
        evidence: 'Cabinet Office list',
        tierExpiresAt: '2027-06-30T00:00:00.000Z',
        notify: { webhookUrl: 'https://hooks.example.org/triage' },
        updatedAt: at,
      };
      const later = new Date(Date.parse(at) + 1000).toISOString();
      await orgs.upsert(second, {
        orgId,
        at: later,
        actor: 'ops@example.org',
        action: 'tier-changed',
        fromTier: 'health',
        toTier: 'government',
        evidence: 'Cabinet Office list',
        tierExpiresAt: '2027-06-30T00:00:00.000Z',
      });
      expect(await orgs.get(orgId)).toEqual({ ...second, registered: true });
      expect((await orgs.listAudit(orgId)).map((a) => [a.action, a.actor, a.fromTier, a.toTier])).toEqual([
        ['registered', 'admin', undefined, 'health'],
        ['tier-changed', 'ops@example.org', 'health', 'government'],
      ]);
      expect((await orgs.listAudit(orgId))[1]).toEqual({
        orgId,
        at: later,
        actor: 'ops@example.org',
        action: 'tier-changed',
        fromTier: 'health',
        toTier: 'government',
        evidence: 'Cabinet Office list',
        tierExpiresAt: '2027-06-30T00:00:00.000Z',
      });
    });

    test('orgs: the registry lists in orgId order, paged, filtered by tier', async () => {
      const { orgs } = ports();
      const tier = unique('tier');
      const at = new Date().toISOString();
      const ids = [unique('org-c'), unique('org-a'), unique('org-b')];
      for (const orgId of ids) {
        await orgs.upsert(
          { orgId, name: orgId, sector: 's', tier, updatedAt: at },
          { orgId, at, actor: 'test', action: 'registered', toTier: tier },
        );
      }
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await orgs.list({ tier }, 2, token);
        seen.push(...page.items.map((o) => o.orgId));
        token = page.continuationToken;
      } while (token);
      expect(seen).toEqual([...ids].sort());
    });

    test('idempotency: the first claim wins and is returned to later ones, per organisation', async () => {
      const { idempotency } = ports();
      const orgId = unique('org');
      expect(await idempotency.claim(orgId, 'k', 'h1', 'r1')).toEqual({ claimed: true });
      expect(await idempotency.claim(orgId, 'k', 'h2', 'r2')).toEqual({
        claimed: false,
        bodyHash: 'h1',
        requestId: 'r1',
      });
      expect(await idempotency.claim(unique('org'), 'k', 'h2', 'r2')).toEqual({ claimed: true });
    });
  });

  describe(`${name}: PoolStore`, () => {
    const ledgerOf = (poolId: string, resourceType = 'vm', region = unique('r')): PoolLedger => ({
      pool: {
        poolId,
        resourceType,
        region,
        capacity: 10,
        reserved: { health: 2 },
        policy: 'strict',
        schedule: [{ atMs: 5_000, capacity: 12 }],
      },
      summary: emptySummary(),
      version: 0,
      forecastVersion: 0,
      forecastLeaseUntilMs: 0,
      nextPromotionAtMs: null,
    });
    const claim = (requestId: string, state: PoolClaimRecord['state'] = 'waiting'): PoolClaimRecord => ({
      requestId,
      orgId: 'o',
      tier: 'standard',
      quantity: 3,
      arrivedAtMs: 1000,
      holdUntilMs: 9000,
      state,
      notifiedDeferral: false,
      promotions: 0,
    });

    test('one pool per resource type and region; lookups by resource; unknown is null', async () => {
      const { pools } = ports();
      const poolId = unique('pool');
      const created = await pools.create(ledgerOf(poolId, 'vm', 'uksouth-' + poolId));
      expect(created.etag).toBeTruthy();
      expect(await pools.findByResource('vm', 'uksouth-' + poolId)).toBe(poolId);
      expect(await pools.findByResource('vm', unique('nowhere'))).toBeNull();
      expect(await codeOf(pools.create(ledgerOf(unique('pool'), 'vm', 'uksouth-' + poolId)))).toBe(
        'conflict',
      );
      expect(await codeOf(pools.create(ledgerOf(poolId)))).toBe('conflict');
      const read = await pools.getLedger(poolId);
      expect(read && withoutEtag(read)).toEqual(withoutEtag(ledgerOf(poolId, 'vm', 'uksouth-' + poolId)));
      expect((await pools.listLedgers()).map((l) => l.pool.poolId)).toContain(poolId);
      expect(await pools.getLedger(unique('none'))).toBeNull();
    });

    test('a commit writes the ledger and its claim changes atomically, or nothing on a stale ledger', async () => {
      const { pools } = ports();
      const poolId = unique('pool');
      const ledger = await pools.create(ledgerOf(poolId));
      const next = await pools.commit(
        { ...ledger, version: 1 },
        { put: [claim('a'), claim('b', 'started')] },
      );
      expect((await pools.listClaims(poolId)).map((c) => [c.requestId, c.state]).sort()).toEqual([
        ['a', 'waiting'],
        ['b', 'started'],
      ]);
      expect(withoutEtag((await pools.getClaim(poolId, 'a'))!)).toEqual(claim('a'));
      expect(await codeOf(pools.commit({ ...ledger, version: 9 }, { remove: ['a'] }))).toBe('concurrency');
      expect(await pools.getClaim(poolId, 'a')).not.toBeNull();
      await pools.commit({ ...next, version: 2 }, { remove: ['a'], put: [claim('c', 'admitted')] });
      expect((await pools.listClaims(poolId)).map((c) => c.requestId).sort()).toEqual(['b', 'c']);
      expect((await pools.getLedger(poolId))?.version).toBe(2);
      await expect(
        pools.commit(next, { put: Array.from({ length: 100 }, (_, i) => claim(`x${i}`)) }),
      ).rejects.toThrow(RangeError);
    });

    test('forecasts are written only to claims that did not change since they were read', async () => {
      const { pools } = ports();
      const poolId = unique('pool');
      const ledger = await pools.create(ledgerOf(poolId));
      await pools.commit(ledger, { put: [claim('a'), claim('b'), claim('gone')] });
      const [a, b, gone] = ['a', 'b', 'gone'].map((id) => pools.getClaim(poolId, id));
      const read = await Promise.all([a, b, gone]);
      // b changes and `gone` leaves after they were read.
      const l2 = (await pools.getLedger(poolId))!;
      await pools.commit(l2, { put: [{ ...claim('b'), state: 'admitted' }], remove: ['gone'] });
      const forecast = read.map((c) => ({
        ...c!,
        position: 1,
        etaMs: null,
        etaComputedAtMs: 50,
        reason: 'full',
        notifiedDeferral: true,
        notifiedEtaMs: null,
        aheadByTier: { health: 2 },
      }));
      expect((await pools.writeForecast(poolId, forecast)).sort()).toEqual(['b', 'gone']);
      expect(withoutEtag((await pools.getClaim(poolId, 'a'))!)).toEqual(withoutEtag(forecast[0]!));
      expect(await pools.getClaim(poolId, 'b')).toMatchObject({ state: 'admitted', notifiedDeferral: false });
    });
  });

  describe(`${name}: ProgrammeStore and readiness`, () => {
    const calendar = {
      timeZone: 'Europe/London',
      start: '2026-12-07',
      deadline: '2027-06-30',
      caps: { weekday: { mailboxes: 22000, bytes: 25e12 }, weekend: { mailboxes: 83000, bytes: 95e12 } },
      holidays: [{ date: '2026-12-25', mailboxes: 0 }],
      reserved: { health: 0.2 },
      requiredChecks: ['licences'],
    };
    const claim = (orgId: string, requestId: string) => ({
      requestId,
      orgId,
      tier: 'health',
      arrivedAtMs: 1000,
      mailboxes: 500,
      bytes: 5e11,
      materializedMailboxes: 100,
      materializedBytes: 1e11,
      ready: false,
      readinessReason: 'not ready: licences pending',
      schedule: {
        days: [{ date: '2026-12-08', mailboxes: 400, bytes: 4e11 }],
        start: '2026-12-08',
        finish: '2026-12-08',
        reason: null,
        reasonText: null,
      },
      notifiedScheduled: true,
      notifiedStart: '2026-12-08',
      notifiedFinish: '2026-12-08',
    });

    test('the state is created once and replaced only under its ETag', async () => {
      const { programme } = ports();
      if (await programme.getState()) return; // one programme per store: the first scenario run sets it
      const created = await programme.putState({
        calendar,
        planVersion: 1,
        plannedVersion: 0,
        planLeaseUntilMs: 0,
        lastWaveDate: null,
      });
      expect(
        await codeOf(
          programme.putState({
            calendar,
            planVersion: 9,
            plannedVersion: 0,
            planLeaseUntilMs: 0,
            lastWaveDate: null,
          }),
        ),
      ).toBe('conflict');
      const read = (await programme.getState())!;
      expect(withoutEtag(read)).toEqual(withoutEtag(created));
      const next = await programme.putState({ ...read, planVersion: 2, lastWaveDate: '2026-12-07' });
      expect(await codeOf(programme.putState({ ...read, planVersion: 3 }))).toBe('concurrency');
      expect(await programme.getState()).toMatchObject({
        planVersion: 2,
        lastWaveDate: '2026-12-07',
        etag: next.etag,
      });
    });

    test('claims are read whole, by organisation, or one by one; updates honour ETags; a second add keeps the first', async () => {
      const { programme } = ports();
      const org = unique('org');
      const added = await programme.addClaim(claim(org, 'r1'));
      await programme.addClaim(claim(org, 'r2'));
      await programme.addClaim({ ...claim(org, 'r1'), mailboxes: 1 });
      expect(withoutEtag((await programme.getClaim(org, 'r1'))!)).toEqual(claim(org, 'r1'));
      expect((await programme.listOrgClaims(org)).map((c) => c.requestId)).toEqual(['r1', 'r2']);
      expect((await programme.listClaims()).filter((c) => c.orgId === org)).toHaveLength(2);
      expect(await programme.updateClaims([{ ...added, ready: true }])).toEqual([]);
      expect(await programme.updateClaims([{ ...added, ready: false }])).toEqual(['r1']);
      expect((await programme.getClaim(org, 'r1'))?.ready).toBe(true);
      expect(await programme.getClaim(unique('other'), 'r1')).toBeNull();
    });

    test('waves, days and the last plan', async () => {
      const { programme } = ports();
      const date = `2027-0${1 + (seq % 9)}-1${seq % 10}`;
      const entry = {
        date,
        requestId: unique('req'),
        orgId: 'o',
        tier: 'health',
        firstIndex: 0,
        mailboxes: 100,
        bytes: 1e9,
        batchNumbers: [1, 2],
      };
      await programme.putWaveEntry(entry);
      expect(await programme.listWave(date)).toEqual([entry]);
      const day = await programme.putDay({ date, materialized: { health: 100 }, done: {}, failed: {} });
      expect(await codeOf(programme.putDay({ date, materialized: {}, done: {}, failed: {} }))).toBe(
        'conflict',
      );
      await programme.putDay({ ...day, done: { health: 90 }, failed: { health: 10 } });
      expect(await codeOf(programme.putDay({ ...day, done: {} }))).toBe('concurrency');
      expect(await programme.getDay(date)).toMatchObject({ done: { health: 90 }, failed: { health: 10 } });
      expect((await programme.listDays()).map((d) => d.date)).toContain(date);
      const summary = {
        days: Array.from({ length: 400 }, (_, i) => ({ date: `d${i}`, note: 'x'.repeat(200) })),
      };
      await programme.savePlan({ computedAtMs: 5, version: 3, summary });
      expect(await programme.loadPlan()).toEqual({ computedAtMs: 5, version: 3, summary });
    });

    test('readiness is stored per organisation', async () => {
      const { orgs } = ports();
      const orgId = unique('org');
      expect(await orgs.getReadiness(orgId)).toBeNull();
      const report = {
        checks: [{ name: 'licences', status: 'fail' as const, detail: '40 unlicensed' }],
        checkedAt: '2026-12-01T10:00:00.000Z',
      };
      await orgs.putReadiness(orgId, report);
      expect(await orgs.getReadiness(orgId)).toEqual(report);
    });
  });

  describe(`${name}: ArtifactStore`, () => {
    test('a valid CSV is stored under the organisation and reads back normalised', async () => {
      const { artifacts } = ports();
      const orgId = unique('org');
      const result = await artifacts.importInventoryCsv(
        orgId,
        bytes('EmailAddress,SizeBytes\na@x.example,10\nb@x.example,\n'),
        { uploadedBy: 'uploader-1' },
      );
      expect(result).toMatchObject({ rowCount: 2, badRows: [] });
      expect(result.blobName?.startsWith(`${orgId}/`)).toBe(true);
      expect(await artifacts.inventoryOwner(result.blobName!)).toEqual({ orgId, source: 'csv-import' });
      expect(await collect(artifacts.readInventory(result.blobName!))).toEqual([
        { address: 'a@x.example', sizeBytes: 10 },
        { address: 'b@x.example' },
      ]);
    });

    test('a CSV with bad rows is refused with their lines; nothing is stored', async () => {
      const { artifacts } = ports();
      const result = await artifacts.importInventoryCsv(
        unique('org'),
        bytes('EmailAddress\na@x.example\nnot-an-address\na@x.example\n'),
      );
      expect(result.blobName).toBeNull();
      expect(result.rowCount).toBe(3);
      expect(result.badRows.map((r) => r.line)).toEqual([3, 4]);
      expect((await artifacts.importInventoryCsv(unique('org'), bytes(''))).badRows).toEqual([
        expect.objectContaining({ line: 1 }),
      ]);
      expect((await artifacts.importInventoryCsv(unique('org'), bytes('EmailAddress\n'))).badRows).toEqual([
        expect.objectContaining({ line: 2 }),
      ]);
    });

    test('an upload over the limit is payload-too-large', async () => {
      const { artifacts } = ports();
      const csv = `EmailAddress\n${Array.from({ length: 200 }, (_, i) => `u${i}@x.example`).join('\n')}\n`;
      expect(await codeOf(artifacts.importInventoryCsv(unique('org'), bytes(csv), { maxBytes: 1024 }))).toBe(
        'payload-too-large',
      );
    });

    test('inline inventories and manifests round-trip; missing ones are not-found; bad names are validation', async () => {
      const { artifacts } = ports();
      const requestId = unique('req');
      const name = await artifacts.writeInventory('org-1', requestId, [
        { address: 'a@x.example', sizeBytes: 1 },
      ]);
      // Under a prefix no orgId can take (orgIds start with a letter or digit), owned by the request.
      expect(name).toBe(`_requests/${requestId}.ndjson`);
      expect(await artifacts.inventoryOwner(name)).toEqual({ orgId: 'org-1', requestId, source: 'request' });
      expect(await collect(artifacts.readInventory(name))).toEqual([
        { address: 'a@x.example', sizeBytes: 1 },
      ]);
      expect(await artifacts.inventoryOwner(`_requests/${unique('none')}.ndjson`)).toBeNull();
      expect(await artifacts.inventoryOwner('../escape.ndjson')).toBeNull();
      expect(await codeOf(collect(artifacts.readInventory(`_requests/${unique('none')}.ndjson`)))).toBe(
        'not-found',
      );
      expect(await codeOf(collect(artifacts.readInventory('../escape.ndjson')))).toBe('validation');

      const written = await artifacts.writeBatchManifest(requestId, 7, [{ address: 'b@x.example' }]);
      expect(written).toEqual({
        ndjsonBlob: `${requestId}/batch-0007.ndjson`,
        csvBlob: `${requestId}/batch-0007.csv`,
      });
      expect(await artifacts.readBatchManifest(requestId, 7)).toEqual([{ address: 'b@x.example' }]);
      expect(await codeOf(artifacts.readBatchManifest(requestId, 8))).toBe('not-found');
    });

    test('reports: streamed in, read back whole; none yet is null', async () => {
      const { artifacts } = ports();
      const requestId = unique('req');
      expect(await artifacts.readReport(requestId)).toBeNull();
      async function* lines() {
        yield 'EmailAddress,Status\r\n';
        for (let i = 0; i < 3; i++) yield `u${i}@x.example,succeeded\r\n`;
      }
      expect(await artifacts.writeReport(requestId, lines())).toBe(`${requestId}.csv`);
      const chunks = await collect((await artifacts.readReport(requestId))!);
      expect(Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('utf8')).toBe(
        'EmailAddress,Status\r\nu0@x.example,succeeded\r\nu1@x.example,succeeded\r\nu2@x.example,succeeded\r\n',
      );
    });
  });

  describe(`${name}: MembershipStore, AuditStore`, () => {
    test("memberships: a principal's organisations and an organisation's members; put is idempotent; delete says whether there was one", async () => {
      const { memberships } = ports();
      const [alice, bob] = [unique('alice'), unique('bob')];
      const [orgA, orgB] = [unique('org-a'), unique('org-b')];
      expect(await memberships.orgsOf(alice)).toEqual([]);
      await memberships.put({ orgId: orgB, principalId: alice, addedAt: 't1', addedBy: 'adam' });
      await memberships.put({ orgId: orgA, principalId: alice, addedAt: 't1', addedBy: 'adam' });
      await memberships.put({ orgId: orgA, principalId: alice, addedAt: 't2', addedBy: 'ada' });
      await memberships.put({ orgId: orgA, principalId: bob, addedAt: 't3', addedBy: 'adam' });
      expect((await memberships.orgsOf(alice)).sort()).toEqual([orgA, orgB].sort());
      expect(await memberships.listMembers(orgA)).toEqual(
        [
          { orgId: orgA, principalId: alice, addedAt: 't2', addedBy: 'ada' },
          { orgId: orgA, principalId: bob, addedAt: 't3', addedBy: 'adam' },
        ].sort((x, y) => (x.principalId < y.principalId ? -1 : 1)),
      );
      expect(await memberships.delete(orgA, alice)).toBe(true);
      expect(await memberships.delete(orgA, alice)).toBe(false);
      expect(await memberships.orgsOf(alice)).toEqual([orgB]);
      expect((await memberships.listMembers(orgA)).map((m) => m.principalId)).toEqual([bob]);
      // Quotes cannot widen the single-partition query.
      expect(await memberships.orgsOf(`${alice}' or PartitionKey ne '`)).toEqual([]);
    });

    test('audit: appended per organisation (or the deployment), read back in order, paged', async () => {
      const { audit } = ports();
      const orgId = unique('org');
      const entry = (n: number) => ({
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        action: 'requests:cancel' as const,
        orgId,
        target: `req-${n}`,
        principalId: 'olga',
        principalName: 'Olga',
        role: 'Triage.Operator' as const,
        scope: 'any-org' as const,
        source: 'token' as const,
        detail: `n${n}`,
      });
      const written = [];
      for (let n = 0; n < 3; n++) written.push(await audit.append(entry(n)));
      expect(new Set(written.map((e) => e.auditId)).size).toBe(3);
      const first = await audit.list(orgId, 2);
      expect(first.items).toEqual([written[0], written[1]]);
      const second = await audit.list(orgId, 2, first.continuationToken);
      expect(second.items).toEqual([written[2]]);
      expect(second.continuationToken).toBeUndefined();
      const { orgId: _orgId, ...deploymentWide } = entry(9);
      const global = await audit.append({ ...deploymentWide, action: 'orgs:write' });
      expect((await audit.list('_deployment', 100)).items).toContainEqual(global);
      expect((await audit.list(orgId, 100)).items).toHaveLength(3);
    });
  });

  describe(`${name}: ActivityIndex`, () => {
    test('touch upserts, listIdle finds only what is older than the cutoff, remove forgets (twice is fine)', async () => {
      const { activity } = ports();
      const [a, b] = [unique('act'), unique('act')];
      const old = new Date(Date.now() - 3_600_000).toISOString();
      await activity.touch({ requestId: a, status: 'queued', progressAt: old });
      await activity.touch({ requestId: b, status: 'running', progressAt: new Date().toISOString() });
      const cutoff = new Date(Date.now() - 60_000).toISOString();
      const idle = (await activity.listIdle(cutoff, 10_000)).filter(
        (e) => e.requestId === a || e.requestId === b,
      );
      expect(idle).toEqual([{ requestId: a, status: 'queued', progressAt: old }]);
      await activity.touch({ requestId: a, status: 'running', progressAt: new Date().toISOString() });
      expect((await activity.listIdle(cutoff, 10_000)).some((e) => e.requestId === a)).toBe(false);
      await activity.remove(a);
      await activity.remove(a);
      await activity.remove(b);
      expect(
        (await activity.listIdle(new Date(Date.now() + 60_000).toISOString(), 10_000)).some(
          (e) => e.requestId === a || e.requestId === b,
        ),
      ).toBe(false);
    });
  });

  describe(`${name}: DeadLetterLog and re-indexing`, () => {
    test('the log keeps each refused message once, newest first', async () => {
      const { deadLetters } = ports();
      const id = unique('msg');
      const older = {
        messageId: `${id}-a`,
        at: new Date(Date.now() - 1000).toISOString(),
        source: 'f',
        reason: 'poison',
        body: '{}',
      };
      const newer = { ...older, messageId: `${id}-b`, at: new Date().toISOString(), requestId: 'r-1' };
      await deadLetters.record(older);
      await deadLetters.record(older);
      await deadLetters.record(newer);
      const mine = (await deadLetters.list(500)).filter((e) => e.messageId.startsWith(id));
      expect(mine).toEqual([newer, older]);
    });

    test('an update with reindex moves the request to its new tier in the organisation listing', async () => {
      const { requests } = ports();
      const orgId = unique('org');
      const created = await requests.create(request({ orgId, tier: 'health' }));
      await requests.update({ ...created, tier: 'standard' }, { reindex: true });
      expect((await requests.list({ orgId, tier: 'standard' }, 10)).items.map((r) => r.id)).toEqual([
        created.id,
      ]);
      expect((await requests.list({ orgId, tier: 'health' }, 10)).items).toEqual([]);
    });
  });

  describe(`${name}: ArtifactStore.readInventoryChunk`, () => {
    test('reads an inventory chunk by chunk from the cursor it returns, to the end', async () => {
      const { artifacts } = ports();
      const requestId = unique('chunks');
      const list = Array.from({ length: 25 }, (_, i) => ({ address: `u${i}@x.example`, sizeBytes: i }));
      const blob = await artifacts.writeInventory(unique('org'), requestId, list);
      const seen: Array<{ address: string }> = [];
      let cursor: string | undefined;
      const sizes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const chunk = await artifacts.readInventoryChunk(blob, cursor, 10);
        sizes.push(chunk.entries.length);
        seen.push(...chunk.entries);
        if (chunk.next === undefined) break;
        cursor = chunk.next;
      }
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(list);
      const exact = await artifacts.readInventoryChunk(blob, undefined, 25);
      expect(exact.entries).toHaveLength(25);
      expect(exact.next).toBeUndefined();
    });
  });

  describe(`${name}: HoldStore`, () => {
    test('holds: put replaces, get and list read them, remove says whether one was there', async () => {
      const { holds } = ports();
      const target = unique('org');
      const hold = {
        scope: 'org' as const,
        target,
        reason: 'licences lapsed',
        heldBy: { id: 'olga', name: 'Olga Operator' },
        since: '2026-12-01T10:00:00.000Z',
      };
      expect(await holds.getHold('org', target)).toBeNull();
      await holds.putHold(hold);
      await holds.putHold({ ...hold, reason: 'contract dispute' });
      expect(await holds.getHold('org', target)).toEqual({ ...hold, reason: 'contract dispute' });
      expect(await holds.getHold('tier', target)).toBeNull();
      expect((await holds.listHolds()).filter((h) => h.target === target)).toHaveLength(1);
      expect(await holds.removeHold('org', target)).toBe(true);
      expect(await holds.removeHold('org', target)).toBe(false);
      expect(await holds.getHold('org', target)).toBeNull();
    });

    test('parked work: parking again replaces, unpark takes it once; the running registry per tier', async () => {
      const { holds } = ports();
      const requestId = unique('req');
      const parked = {
        key: `${requestId}:batch:3`,
        requestId,
        tier: 'standard',
        orgId: 'org-1',
        message: {
          schemaVersion: 1 as const,
          kind: 'migrate-batch' as const,
          requestId,
          orgId: 'org-1',
          tier: 'standard',
          batchNumber: 3,
          batchCount: 4,
        },
        parkedAt: '2026-12-01T10:00:00.000Z',
      };
      await holds.park(parked);
      await holds.park({ ...parked, parkedAt: '2026-12-01T11:00:00.000Z', operationsInProgress: 7 });
      expect((await holds.listParked()).filter((p) => p.requestId === requestId)).toEqual([
        { ...parked, parkedAt: '2026-12-01T11:00:00.000Z', operationsInProgress: 7 },
      ]);
      expect(await holds.unpark(parked.key)).toBe(true);
      expect(await holds.unpark(parked.key)).toBe(false);

      const run = {
        key: `${requestId}:batch:1`,
        kind: 'batch' as const,
        requestId,
        batchNumber: 1,
        tier: 'health',
        orgId: 'org-1',
        itemsLeft: 100,
        concurrency: 16,
        startedAt: '2026-12-01T10:00:00.000Z',
        heartbeatAt: '2026-12-01T10:00:00.000Z',
      };
      const provision = {
        ...run,
        key: `${requestId}:provision`,
        kind: 'provision' as const,
        tier: 'standard',
        concurrency: 1,
      };
      delete (provision as { batchNumber?: number }).batchNumber;
      await holds.markRunning(run);
      await holds.markRunning({ ...run, itemsLeft: 40, heartbeatAt: '2026-12-01T10:00:30.000Z' });
      await holds.markRunning({ ...provision, itemsLeft: 1 });
      const mine = () => holds.listRunning().then((rows) => rows.filter((r) => r.requestId === requestId));
      expect((await mine()).sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([
        { ...run, itemsLeft: 40, heartbeatAt: '2026-12-01T10:00:30.000Z' },
        { ...provision, itemsLeft: 1 },
      ]);
      await holds.clearRunning(run);
      await holds.clearRunning(run);
      expect((await mine()).map((r) => r.kind)).toEqual(['provision']);
      await holds.clearRunning(provision);
      expect(await mine()).toEqual([]);
    });
  });

  describe(`${name}: MailboxClaimStore and duplicates lists`, () => {
    test('free keys are claimed in any number; existing ones come back with their holder; take-over honours ETags', async () => {
      const { mailboxClaims } = ports();
      const orgId = unique('org');
      // 150 keys: two transactions, and a key with characters Table keys may not hold.
      const keys = [...Array.from({ length: 149 }, (_, i) => `u${i}@x.example`), 'a/b#c?d@x.example'];
      expect(await mailboxClaims.claimFree(orgId, 'r-1', keys)).toEqual([]);
      const again = await mailboxClaims.claimFree(orgId, 'r-2', ['new@x.example', ...keys.slice(98, 102)]);
      expect(again.map((c) => [c.key, c.requestId])).toEqual(keys.slice(98, 102).map((k) => [k, 'r-1']));
      expect(again.every((c) => c.etag)).toBe(true);
      // Another organisation's mailboxes are its own.
      expect(await mailboxClaims.claimFree(unique('org'), 'r-3', keys.slice(0, 3))).toEqual([]);

      expect(await mailboxClaims.takeOver(orgId, 'r-2', again.slice(0, 2))).toEqual([]);
      // A stale ETag (taken over since it was read) comes back as changed.
      expect(await mailboxClaims.takeOver(orgId, 'r-4', again.slice(0, 3))).toEqual(
        again.slice(0, 2).map((c) => c.key),
      );
      const now = await mailboxClaims.claimFree(orgId, 'r-5', [...keys.slice(98, 102), 'new@x.example']);
      expect(now.map((c) => c.requestId)).toEqual(['r-2', 'r-2', 'r-4', 'r-1', 'r-2']);
    });

    test('two requests claiming the same keys at once: each key has exactly one holder', async () => {
      const { mailboxClaims } = ports();
      const orgId = unique('org');
      const keys = Array.from({ length: 120 }, (_, i) => `race${i}@x.example`);
      const [a, b] = await Promise.all([
        mailboxClaims.claimFree(orgId, 'r-a', keys),
        mailboxClaims.claimFree(orgId, 'r-b', [...keys].reverse()),
      ]);
      const heldByOther = new Set([...a, ...b].map((c) => c.key));
      expect(a.length + b.length).toBe(keys.length);
      expect(heldByOther.size).toBe(keys.length);
      expect(a.every((c) => c.requestId === 'r-b') && b.every((c) => c.requestId === 'r-a')).toBe(true);
    });

    test('duplicates lists are written per chunk and read back in planning order', async () => {
      const { artifacts } = ports();
      const requestId = unique('dups');
      const row = (i: number) => ({
        address: `d${i}@x.example`,
        heldBy: 'r-1',
        heldByStatus: 'running' as const,
      });
      await artifacts.writeDuplicates(requestId, 30, [row(3), row(4)]);
      await artifacts.writeDuplicates(requestId, 0, [row(1), row(2)]);
      await artifacts.writeDuplicates(requestId, 0, [row(1), row(2)]); // a redelivered chunk
      const read = [];
      for await (const s of artifacts.readDuplicates(requestId)) read.push(s);
      expect(read).toEqual([row(1), row(2), row(3), row(4)]);
      const none = [];
      for await (const s of artifacts.readDuplicates(unique('none'))) none.push(s);
      expect(none).toEqual([]);
    });
  });
}
