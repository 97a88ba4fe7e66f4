import fc from 'fast-check';
import {
  drainReport,
  holdCovers,
  holdOn,
  parkedToResume,
  parseHoldBody,
  parseHoldTarget,
  resumedMessage,
  workKey,
  type Hold,
  type ParkedWork,
  type RunningWork,
} from '../../../shared/domain/holds';
import { isTriageError } from '../../../shared/domain/errors';

const tiers = ['health', 'government', 'remote-work', 'standard'];
const orgs = ['org-a', 'org-b', 'org-c'];
const t0 = Date.parse('2026-12-01T10:00:00Z');

const holdArb: fc.Arbitrary<Hold> = fc
  .record({
    scope: fc.constantFrom('tier' as const, 'org' as const),
    tierIndex: fc.nat({ max: tiers.length - 1 }),
    orgIndex: fc.nat({ max: orgs.length - 1 }),
    minutes: fc.nat({ max: 600 }),
  })
  .map(({ scope, tierIndex, orgIndex, minutes }) => ({
    scope,
    target: scope === 'tier' ? tiers[tierIndex]! : orgs[orgIndex]!,
    reason: 'maintenance',
    heldBy: { id: 'olga', name: 'Olga' },
    since: new Date(t0 + minutes * 60_000).toISOString(),
  }));
// One hold per target, as the store keeps them.
const holdsArb = fc.uniqueArray(holdArb, { selector: (h) => `${h.scope}-${h.target}`, maxLength: 6 });
const ownerArb = fc.record({ tier: fc.constantFrom(...tiers), orgId: fc.constantFrom(...orgs) });

const runningArb: fc.Arbitrary<RunningWork> = fc
  .record({
    owner: ownerArb,
    batch: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    itemsLeft: fc.nat({ max: 100 }),
    concurrency: fc.integer({ min: 1, max: 16 }),
    ageMs: fc.nat({ max: 30 * 60_000 }),
  })
  .map(({ owner, batch, itemsLeft, concurrency, ageMs }, i = 0) => ({
    key: workKey(`r-${owner.orgId}-${i}`, batch),
    kind: batch === undefined ? ('provision' as const) : ('batch' as const),
    requestId: `r-${owner.orgId}`,
    ...(batch !== undefined ? { batchNumber: batch } : {}),
    ...owner,
    itemsLeft,
    concurrency: batch === undefined ? 1 : concurrency,
    startedAt: new Date(t0).toISOString(),
    heartbeatAt: new Date(t0 + 60 * 60_000 - ageMs).toISOString(),
  }));

const parkedArb: fc.Arbitrary<ParkedWork> = fc
  .record({ owner: ownerArb, n: fc.integer({ min: 1, max: 1000 }) })
  .map(({ owner, n }) => ({
    key: workKey(`r${n}`, n),
    requestId: `r${n}`,
    ...owner,
    message: {
      schemaVersion: 1,
      kind: 'migrate-batch',
      requestId: `r${n}`,
      orgId: owner.orgId,
      tier: owner.tier,
      batchNumber: n,
      batchCount: n,
      attempt: 2,
      firstAttemptAt: new Date(t0).toISOString(),
    },
    parkedAt: new Date(t0 + n).toISOString(),
  }));

describe('holdOn: is this work held?', () => {
  test('property: held exactly when some hold covers its tier or its organisation, and the one named covers it', () => {
    fc.assert(
      fc.property(holdsArb, ownerArb, (holds, owner) => {
        const hold = holdOn(holds, owner);
        const covering = holds.filter((h) =>
          h.scope === 'tier' ? h.target === owner.tier : h.target === owner.orgId,
        );
        expect(hold !== undefined).toBe(covering.length > 0);
        if (hold) {
          expect(holdCovers(hold, owner)).toBe(true);
          // The earliest placed is the one every view names, whatever the order of the rows.
          expect(covering.every((h) => h.since >= hold.since)).toBe(true);
          expect(holdOn([...holds].reverse(), owner)).toEqual(hold);
        }
      }),
    );
  });

  test('a tier hold does not stop another tier; an organisation hold stops that organisation on every tier', () => {
    const hold: Hold = {
      scope: 'tier',
      target: 'standard',
      reason: 'r',
      heldBy: { id: 'o', name: 'o' },
      since: 'x',
    };
    expect(holdOn([hold], { tier: 'health', orgId: 'org-a' })).toBeUndefined();
    expect(holdOn([hold], { tier: 'standard', orgId: 'org-a' })).toBe(hold);
    const org: Hold = { ...hold, scope: 'org', target: 'org-a' };
    expect(holdOn([org], { tier: 'health', orgId: 'org-a' })).toBe(org);
    expect(holdOn([org], { tier: 'health', orgId: 'org-b' })).toBeUndefined();
  });
});

describe('drainReport: what of it still runs', () => {
  test('property: counts only fresh rows in scope; drained exactly when there are none', () => {
    fc.assert(
      fc.property(
        fc.array(runningArb, { maxLength: 30 }),
        fc.array(parkedArb, { maxLength: 20 }),
        fc.constantFrom(...tiers.map((t) => ['tier', t] as const), ...orgs.map((o) => ['org', o] as const)),
        fc.integer({ min: 1, max: 20 * 60_000 }),
        (running, parked, [scope, target], staleAfterMs) => {
          const nowMs = t0 + 60 * 60_000;
          const report = drainReport({
            scope,
            target,
            hold: undefined,
            running,
            parked,
            nowMs,
            staleAfterMs,
          });
          const inScope = running.filter((r) => (scope === 'tier' ? r.tier === target : r.orgId === target));
          const fresh = inScope.filter((r) => nowMs - Date.parse(r.heartbeatAt) <= staleAfterMs);
          expect(report.running.batches).toBe(fresh.filter((r) => r.kind === 'batch').length);
          expect(report.running.provisionings).toBe(fresh.filter((r) => r.kind === 'provision').length);
          expect(report.running.items).toBe(
            fresh.reduce((n, r) => n + Math.min(r.itemsLeft, r.concurrency), 0),
          );
          expect(report.stale).toBe(inScope.length - fresh.length);
          expect(report.drained).toBe(fresh.length === 0);
          expect(report.parked).toBe(
            parked.filter((p) => (scope === 'tier' ? p.tier === target : p.orgId === target)).length,
          );
          expect(report.held).toBe(false);
        },
      ),
    );
  });
});

describe('parkedToResume: what a resume sends again', () => {
  test('property: only what the resumed hold covered, never what a remaining hold covers, and all the rest', () => {
    fc.assert(
      fc.property(fc.array(parkedArb, { maxLength: 30 }), holdArb, holdsArb, (parked, resumed, others) => {
        const remaining = others.filter((h) => !(h.scope === resumed.scope && h.target === resumed.target));
        const sent = parkedToResume(parked, resumed, remaining);
        for (const p of sent) {
          expect(holdCovers(resumed, p)).toBe(true);
          expect(holdOn(remaining, p)).toBeUndefined();
        }
        const kept = parked.filter((p) => !sent.includes(p));
        for (const p of kept)
          expect(!holdCovers(resumed, p) || holdOn(remaining, p) !== undefined).toBe(true);
      }),
    );
  });

  test('property: the resumed message is the parked one with its back-off clock restarted, under an id unique to the parking', () => {
    fc.assert(
      fc.property(parkedArb, parkedArb, (a, b) => {
        const sent = resumedMessage(a);
        expect(sent.message).not.toHaveProperty('firstAttemptAt');
        expect({ ...sent.message, firstAttemptAt: a.message.firstAttemptAt }).toEqual(a.message);
        expect(sent.messageId.length).toBeLessThanOrEqual(128);
        if (a.key !== b.key || a.parkedAt !== b.parkedAt)
          expect(resumedMessage(b).messageId).not.toBe(sent.messageId);
      }),
    );
  });
});

describe('validation names the field', () => {
  const fieldsOf = (f: () => unknown): string[] => {
    try {
      f();
    } catch (err: unknown) {
      if (isTriageError(err, 'validation')) return (err.fields ?? []).map((x) => x.field);
      throw err;
    }
    throw new Error('no error');
  };
  test('a reason is required, bounded and safe to display', () => {
    expect(fieldsOf(() => parseHoldBody({}))).toEqual(['reason']);
    expect(fieldsOf(() => parseHoldBody(undefined))).toEqual(['reason']);
    expect(fieldsOf(() => parseHoldBody({ reason: '' }))).toEqual(['reason']);
    expect(fieldsOf(() => parseHoldBody({ reason: 'x'.repeat(501) }))).toEqual(['reason']);
    expect(fieldsOf(() => parseHoldBody({ reason: '=HYPERLINK()' }))).toEqual(['reason']);
    expect(fieldsOf(() => parseHoldBody({ reason: 'ok', extra: 1 }))).toEqual(['extra']);
    expect(parseHoldBody({ reason: 'back-end upgrade' })).toEqual({ reason: 'back-end upgrade' });
  });
  test('a tier must be one of the topology; an organisation id well formed', () => {
    expect(fieldsOf(() => parseHoldTarget('tier', 'gold', tiers))).toEqual(['tier']);
    expect(fieldsOf(() => parseHoldTarget('org', 'a b', tiers))).toEqual(['orgId']);
    expect(parseHoldTarget('tier', 'standard', tiers)).toBe('standard');
    expect(parseHoldTarget('org', 'org-a', tiers)).toBe('org-a');
  });
});
