import fc from 'fast-check';
import { isTriageError, type TriageError } from '../../../../shared/domain/errors';
import { planProgramme } from '../../../../shared/domain/scheduling/plan';
import type { MigrationClaim, PlanInput } from '../../../../shared/domain/scheduling/plan-types';
import { inputWithOverrides, organisationHash, whatIf } from '../../../../shared/domain/scheduling/what-if';
import { parseWhatIf } from '../../../../shared/domain/scheduling/what-if-schema';
import { arbPlanInput, firstDay } from './plan-arbitraries';

const tierNames = ['gold', 'silver', 'bronze'];

function fieldsOf(body: unknown): string[] {
  try {
    parseWhatIf(body, tierNames);
  } catch (err) {
    if (isTriageError(err, 'validation')) return (err as TriageError).fields.map((f) => f.field);
    throw err;
  }
  return [];
}

function programme(orgs: number, ready = true): PlanInput {
  const claims: MigrationClaim[] = Array.from({ length: orgs }, (_, i) => ({
    requestId: `r${i}`,
    orgId: `org-${i}`,
    tier: tierNames[i % 3]!,
    arrivedAtMs: i,
    mailboxes: 5 + (i % 7),
    bytes: 100 * (5 + (i % 7)),
    ready,
  }));
  return {
    calendar: {
      timeZone: 'Europe/London',
      start: firstDay,
      deadline: '2027-06-30',
      caps: { weekday: { mailboxes: 40, bytes: 1e9 }, weekend: { mailboxes: 100, bytes: 1e9 } },
      holidays: [],
      reserved: { gold: 0.1 },
      requiredChecks: [],
    },
    tiers: tierNames.map((name, i) => ({ name, rank: i + 1 })),
    firstDay,
    frozen: [],
    claims,
  };
}

describe('what-if', () => {
  test('the overrides body: nonsense refused by field', () => {
    expect(fieldsOf({ caps: 'lots' })).toEqual(['caps']);
    expect(fieldsOf({ caps: { weekday: { mailboxes: -1 } } })).toEqual(['caps.weekday.mailboxes']);
    expect(fieldsOf({ caps: { weekday: { seats: 3 } } })).toEqual(['caps.weekday.seats']);
    expect(fieldsOf({ readiness: { notReadyShare: 1.5 } })).toEqual(['readiness.notReadyShare']);
    expect(fieldsOf({ readiness: { readyOver: { weeks: 20, days: 3 } } })).toEqual(['readiness.readyOver']);
    expect(fieldsOf({ readiness: { readyOver: { weeks: -2 } } })).toEqual(['readiness.readyOver.weeks']);
    expect(fieldsOf({ readiness: { 'not an id!': true, 'org-1': 'yes' } })).toEqual([
      'readiness.not an id!',
      'readiness.org-1',
    ]);
    expect(
      fieldsOf({
        surge: [
          { orgId: 'a', tier: 'platinum', mailboxes: 0, bytes: 1, arrivesOn: '2027-02-30' },
          { orgId: 'b', tier: 'gold', mailboxes: 1, bytes: 1, arrivesOn: '2027-03-01', requestId: 'x' },
          { orgId: 'c', tier: 'gold', mailboxes: 1, bytes: 1, arrivesOn: '2027-03-01', requestId: 'x' },
        ],
      }),
    ).toEqual(['surge.0.tier', 'surge.0.mailboxes', 'surge.0.arrivesOn', 'surge.2.requestId']);
    expect(fieldsOf({ reserved: { gold: 2 } })).toEqual(['reserved.gold', 'reserved']);
    expect(fieldsOf({ top: 0, colour: 'blue' })).toEqual(['top', 'colour']);
    expect(fieldsOf({ perOrgDailyMax: null, holidays: [{ date: '2027-04-02', mailboxes: 0 }] })).toEqual([]);
  });

  test('readiness is one flat object, as the issue writes it', () => {
    expect(
      parseWhatIf(
        { readiness: { 'org-1': true, 'org-2': '2027-04-01', notReadyShare: 0.3, readyOver: { weeks: 20 } } },
        tierNames,
      ),
    ).toEqual({
      readiness: {
        notReadyShare: 0.3,
        readyOver: { days: 140 },
        orgs: { 'org-1': true, 'org-2': '2027-04-01' },
      },
    });
  });

  test('changes nothing: the base input is untouched, no overrides give the baseline back', () => {
    const base = programme(30);
    const copy = structuredClone(base);
    const result = whatIf(base, {
      caps: { weekday: { mailboxes: 5 } },
      readiness: { notReadyShare: 0.5, orgs: { 'org-1': true } },
    });
    const slower = whatIf(base, { caps: { weekday: { mailboxes: 5 }, weekend: { mailboxes: 5 } } });
    expect(base).toEqual(copy);
    const same = whatIf(base, {});
    expect(same.plan).toEqual(same.baseline);
    expect(same.moves).toEqual([]);
    expect(slower.plan.projectedFinish! > slower.baseline.projectedFinish!).toBe(true);
    expect(result.input.claims.find((c) => c.orgId === 'org-1')!.ready).toBe(true);
  });

  test('notReadyShare: a deterministic share of organisations by hash, whatever the claims’ order', () => {
    const base = programme(40);
    const notReadyOf = (input: PlanInput) =>
      [...new Set(input.claims.filter((c) => !c.ready).map((c) => c.orgId))].sort();
    const chosen = notReadyOf(inputWithOverrides(base, { readiness: { notReadyShare: 0.3, orgs: {} } }));
    expect(chosen).toHaveLength(12);
    const reversed = { ...base, claims: [...base.claims].reverse() };
    expect(notReadyOf(inputWithOverrides(reversed, { readiness: { notReadyShare: 0.3, orgs: {} } }))).toEqual(
      chosen,
    );
    const lowestHashes = [...new Set(base.claims.map((c) => c.orgId))]
      .sort((a, b) => organisationHash(a) - organisationHash(b))
      .slice(0, 12)
      .sort();
    expect(chosen).toEqual(lowestHashes);
  });

  test('readyOver: the waiting organisations become ready evenly, the last on the period’s last day', () => {
    const base = programme(10, false);
    const input = inputWithOverrides(base, {
      readiness: { readyOver: { days: 20 }, orgs: { 'org-3': true } },
    });
    const dates = input.claims
      .filter((c) => c.orgId !== 'org-3')
      .map((c) => c.readyFrom!)
      .sort();
    expect(dates).toEqual([
      // Day ⌊(i+1)·20/9⌋ for the i-th of 9: 2, 4, 6, 8, 11, 13, 15, 17, 20.
      '2027-03-24',
      '2027-03-26',
      '2027-03-28',
      '2027-03-30',
      '2027-04-02',
      '2027-04-04',
      '2027-04-06',
      '2027-04-08',
      '2027-04-11',
    ]);
    expect(input.claims.find((c) => c.orgId === 'org-3')!.ready).toBe(true);
    const plan = planProgramme(input);
    for (const request of plan.requests) {
      const claim = input.claims.find((c) => c.requestId === request.requestId)!;
      if (claim.readyFrom) expect(request.start! >= claim.readyFrom).toBe(true);
    }
  });

  test('a surge of tier-1 work: planned from its day, ahead of lower tiers, and the moves listed most first', () => {
    const base = programme(30);
    const result = whatIf(base, {
      surge: [{ orgId: 'new-hospital', tier: 'gold', mailboxes: 200, bytes: 2000, arrivesOn: '2027-03-23' }],
      top: 3,
    });
    const surge = result.plan.requests.find((r) => r.requestId === 'surge-1')!;
    expect(surge.start).toBe('2027-03-23');
    expect(result.moves).toHaveLength(3);
    const sizes = result.moves.map((m) => m.movedDays!);
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
    expect(sizes[0]).toBeGreaterThan(0);
  });

  test('overrides that only fail against the programme are refused by field', () => {
    const base = programme(3);
    expect(() => whatIf(base, { reserved: { silver: 0.95 } })).toThrow(
      expect.objectContaining({ fields: [expect.objectContaining({ field: 'reserved' })] }),
    );
    expect(() =>
      whatIf(base, {
        surge: [{ orgId: 'x', tier: 'gold', mailboxes: 1, bytes: 1, arrivesOn: firstDay, requestId: 'r1' }],
      }),
    ).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ field: 'surge.0.requestId' })] }));
  });

  test('property: without overrides a what-if is the plan; notReadyShare makes exactly that share not ready', () => {
    fc.assert(
      fc.property(arbPlanInput(), fc.double({ min: 0, max: 1, noNaN: true }), (input, share) => {
        expect(whatIf(input, {}).plan).toEqual(planProgramme(input));
        const edited = inputWithOverrides(input, { readiness: { notReadyShare: share, orgs: {} } });
        const orgs = new Set(input.claims.map((c) => c.orgId));
        const notReady = new Set(edited.claims.filter((c) => !c.ready).map((c) => c.orgId));
        expect(notReady.size).toBe(Math.round(share * orgs.size));
        expect(edited.claims.every((c) => c.readyFrom === undefined)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
