import fc from 'fast-check';
import { capacityLowerBound } from '../../../../shared/domain/scheduling/calendar';
import { addDays, startOfLocalDay } from '../../../../shared/domain/scheduling/local-date';
import { servedTierIndex } from '../../../../shared/domain/scheduling/waiting-line';
import { planProgramme } from '../../../../shared/domain/scheduling/plan';
import { bytesToTake } from '../../../../shared/domain/scheduling/plan-queues';
import type { MigrationClaim, PlanInput, PlanResult } from '../../../../shared/domain/scheduling/plan-types';
import {
  arbPlanInput,
  capOfDay,
  eligibleDayOf,
  firstDay,
  placedOf,
  planTiers,
  sumBy,
  type Placed,
} from './plan-arbitraries';

const tierIndex = new Map(planTiers.map((t, i) => [t.name, i]));
const dayStarts = new Map<number, number>();
const dayStart = (day: number): number => {
  if (!dayStarts.has(day)) dayStarts.set(day, startOfLocalDay(addDays(firstDay, day), 'Europe/London'));
  return dayStarts.get(day)!;
};
/** The tier a claim is served at on a day, by the waiting line's own rule (promotion measured at the day's start). */
const servedOn = (input: PlanInput, claim: MigrationClaim, day: number): number =>
  servedTierIndex({ id: claim.requestId, ...claim }, input.tiers, dayStart(day));
const runs = { numRuns: Number(process.env.PLAN_RUNS ?? 300) };

/** Everything the properties read from one plan, indexed. */
function ledger(input: PlanInput, plan: PlanResult) {
  const placed = placedOf(plan);
  const claimOf = new Map(input.claims.map((c) => [c.requestId, c]));
  const tierOfPlaced = (p: Placed): number => servedOn(input, claimOf.get(p.requestId)!, p.day);
  const frozenDay = (date: string): number =>
    Math.round((Date.parse(date) - Date.parse(firstDay)) / 86_400_000);
  return {
    placed,
    claimOf,
    tierOfPlaced,
    newMailboxes: sumBy(
      placed,
      (p) => `${p.day}`,
      (p) => p.mailboxes,
    ),
    newBytes: sumBy(
      placed,
      (p) => `${p.day}`,
      (p) => p.bytes,
    ),
    frozenMailboxes: sumBy(
      input.frozen,
      (f) => `${frozenDay(f.date)}`,
      (f) => f.mailboxes,
    ),
    frozenBytes: sumBy(
      input.frozen,
      (f) => `${frozenDay(f.date)}`,
      (f) => f.bytes,
    ),
    newByOrg: sumBy(
      placed,
      (p) => `${p.day}/${claimOf.get(p.requestId)!.orgId}`,
      (p) => p.mailboxes,
    ),
    frozenByOrg: sumBy(
      input.frozen,
      (f) => `${frozenDay(f.date)}/${f.orgId}`,
      (f) => f.mailboxes,
    ),
    byTier: (day: number, tier: number, what: 'mailboxes' | 'bytes'): number =>
      placed.filter((p) => p.day === day && tierOfPlaced(p) === tier).reduce((s, p) => s + p[what], 0),
    frozenByTier: (day: number, tier: number, what: 'mailboxes' | 'bytes'): number =>
      input.frozen
        .filter((f) => frozenDay(f.date) === day && tierIndex.get(f.tier) === tier)
        .reduce((s, f) => s + f[what], 0),
    /** A claim's mailboxes and bytes planned before `day`. */
    doneBefore: (requestId: string, day: number): { mailboxes: number; bytes: number } => {
      const before = placed.filter((p) => p.requestId === requestId && p.day < day);
      return {
        mailboxes: before.reduce((s, p) => s + p.mailboxes, 0),
        bytes: before.reduce((s, p) => s + p.bytes, 0),
      };
    },
  };
}

type Ledger = ReturnType<typeof ledger>;
const days = (l: Ledger): number[] => [...new Set(l.placed.map((p) => p.day))];

/** Tier `t`'s view of day `day` (rule 2, nested): caps minus what is taken minus unused reservations above. */
function viewOf(input: PlanInput, l: Ledger, day: number, t: number, what: 'mailboxes' | 'bytes'): number {
  const cap = capOfDay(input, day)[what];
  let left = cap - ((what === 'mailboxes' ? l.frozenMailboxes : l.frozenBytes).get(`${day}`) ?? 0);
  let held = 0;
  for (let above = 0; above < t; above++) {
    left -= l.byTier(day, above, what);
    const used = l.byTier(day, above, what) + l.frozenByTier(day, above, what);
    held += Math.max(0, Math.floor((input.calendar.reserved[planTiers[above]!.name] ?? 0) * cap) - used);
  }
  return Math.max(0, left - held);
}

describe('planProgramme: properties', () => {
  test('every day stays within its caps (mailboxes and bytes), frozen work counted', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const l = ledger(input, planProgramme(input));
        for (const day of days(l)) {
          expect(day).toBeGreaterThanOrEqual(0);
          const cap = capOfDay(input, day);
          const frozenM = l.frozenMailboxes.get(`${day}`) ?? 0;
          const frozenB = l.frozenBytes.get(`${day}`) ?? 0;
          expect(l.newMailboxes.get(`${day}`)!).toBeLessThanOrEqual(Math.max(0, cap.mailboxes - frozenM));
          expect(l.newBytes.get(`${day}`)!).toBeLessThanOrEqual(Math.max(0, cap.bytes - frozenB));
        }
      }),
      runs,
    );
  });

  test('the per-organisation daily maximum holds, frozen work counted', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const max = input.calendar.perOrgDailyMax;
        fc.pre(max !== undefined);
        const l = ledger(input, planProgramme(input));
        for (const [key, mailboxes] of l.newByOrg) {
          expect(mailboxes).toBeLessThanOrEqual(Math.max(0, max! - (l.frozenByOrg.get(key) ?? 0)));
        }
      }),
      runs,
    );
  });

  test('a not-ready organisation consumes nothing; nothing is planned before a claim is eligible', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const plan = planProgramme(input);
        const l = ledger(input, plan);
        for (const p of l.placed)
          expect(p.day).toBeGreaterThanOrEqual(eligibleDayOf(l.claimOf.get(p.requestId)!));
        for (const request of plan.requests) {
          const claim = l.claimOf.get(request.requestId);
          if (claim && !claim.ready && claim.readyFrom === undefined) {
            expect(request.days.every((d) => d.frozen)).toBe(true);
            expect(request.reason).toBe('not-ready');
          }
        }
      }),
      runs,
    );
  });

  test('conservation: every mailbox (and byte) of a claim is planned once or reported unplanned', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const plan = planProgramme(input);
        const l = ledger(input, plan);
        const schedules = new Map(plan.requests.map((r) => [r.requestId, r]));
        for (const claim of input.claims) {
          const schedule = schedules.get(claim.requestId)!;
          const mine = l.placed.filter((p) => p.requestId === claim.requestId);
          expect(mine.reduce((s, p) => s + p.mailboxes, 0) + schedule.unplanned.mailboxes).toBe(
            claim.mailboxes,
          );
          expect(mine.reduce((s, p) => s + p.bytes, 0) + schedule.unplanned.bytes).toBe(claim.bytes);
          expect(new Set(mine.map((p) => p.day)).size).toBe(mine.length); // one entry per day
          expect(schedule.reason === null).toBe(schedule.unplanned.mailboxes === 0);
          expect(schedule.finish === null).toBe(schedule.reason !== null);
        }
        const total = input.claims.reduce((s, c) => s + c.mailboxes, 0);
        expect(l.placed.reduce((s, p) => s + p.mailboxes, 0) + plan.unplanned.mailboxes).toBe(total);
      }),
      runs,
    );
  });

  test('tier order: a lower tier gets a mailbox on a day only if every higher-tier claim left waiting was held back by its organisation’s daily maximum or by a next mailbox too heavy for the bytes its tier had left', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const plan = planProgramme(input);
        const l = ledger(input, plan);
        const schedules = new Map(plan.requests.map((r) => [r.requestId, r]));
        const max = input.calendar.perOrgDailyMax;
        for (const day of days(l)) {
          for (let low = 1; low < planTiers.length; low++) {
            if (l.byTier(day, low, 'mailboxes') === 0) continue;
            for (let high = 0; high < low; high++) {
              const waiting = input.claims.filter((c) => {
                if (servedOn(input, c, day) !== high || eligibleDayOf(c) > day) return false;
                const laterWork = l.placed.some((p) => p.requestId === c.requestId && p.day > day);
                return laterWork || schedules.get(c.requestId)!.unplanned.mailboxes > 0;
              });
              for (const claim of waiting) {
                const key = `${day}/${claim.orgId}`;
                const orgTotal = (l.newByOrg.get(key) ?? 0) + (l.frozenByOrg.get(key) ?? 0);
                if (max !== undefined && orgTotal >= max) continue;
                // The organisation's next mailbox at this tier today: what one more would have added to
                // its day's take (each claim's bytes split by what it had left at the start of the day).
                const queue = input.claims
                  .filter(
                    (c) =>
                      c.orgId === claim.orgId && servedOn(input, c, day) === high && eligibleDayOf(c) <= day,
                  )
                  .map((c) => ({ claim: c, done: l.doneBefore(c.requestId, day) }))
                  .filter((q) => q.done.mailboxes < q.claim.mailboxes)
                  .sort(
                    (a, b) =>
                      a.claim.arrivedAtMs - b.claim.arrivedAtMs ||
                      (a.claim.requestId < b.claim.requestId ? -1 : 1),
                  );
                const bytesFor = (mailboxes: number): number => {
                  let left = mailboxes;
                  let bytes = 0;
                  for (const { claim: c, done } of queue) {
                    const take = Math.min(left, c.mailboxes - done.mailboxes);
                    bytes += bytesToTake(c.mailboxes - done.mailboxes, c.bytes - done.bytes, take);
                    left -= take;
                  }
                  return bytes;
                };
                const got = l.placed
                  .filter((p) => p.day === day && queue.some((q) => q.claim.requestId === p.requestId))
                  .reduce((sum, p) => sum + p.mailboxes, 0);
                const nextBytes = bytesFor(got + 1) - bytesFor(got);
                const roomAfterTurn = viewOf(input, l, day, high, 'bytes') - l.byTier(day, high, 'bytes');
                expect(nextBytes).toBeGreaterThan(roomAfterTurn);
              }
            }
          }
        }
      }),
      runs,
    );
  });

  test('max-min fair within a tier each day; the remainder to the longest waiting; the tier takes all it may (bytes not binding)', () => {
    fc.assert(
      fc.property(arbPlanInput({ generousBytes: true }), (input) => {
        const l = ledger(input, planProgramme(input));
        const max = input.calendar.perOrgDailyMax ?? Infinity;
        for (let day = 0; day <= Math.max(-1, ...days(l)); day++) {
          for (let t = 0; t < planTiers.length; t++) {
            const byOrg = new Map<string, { demand: number; got: number; since: number }>();
            for (const claim of input.claims.filter(
              (c) => servedOn(input, c, day) === t && eligibleDayOf(c) <= day,
            )) {
              const left = claim.mailboxes - l.doneBefore(claim.requestId, day).mailboxes;
              if (left === 0) continue;
              const entry = byOrg.get(claim.orgId) ?? { demand: 0, got: 0, since: Infinity };
              entry.demand += left;
              entry.since = Math.min(entry.since, claim.arrivedAtMs);
              entry.got +=
                l.placed.find((p) => p.requestId === claim.requestId && p.day === day)?.mailboxes ?? 0;
              byOrg.set(claim.orgId, entry);
            }
            for (const [orgId, entry] of byOrg) {
              const key = `${day}/${orgId}`;
              const usedAbove = l.placed
                .filter(
                  (p) =>
                    p.day === day && l.tierOfPlaced(p) < t && l.claimOf.get(p.requestId)!.orgId === orgId,
                )
                .reduce((s, p) => s + p.mailboxes, 0);
              entry.demand = Math.min(
                entry.demand,
                Math.max(0, max - (l.frozenByOrg.get(key) ?? 0) - usedAbove),
              );
              expect(entry.got).toBeLessThanOrEqual(entry.demand);
            }
            const entries = [...byOrg.entries()];
            for (const [orgA, a] of entries) {
              for (const [orgB, b] of entries) {
                if (b.got >= a.got + 2) expect(a.got).toBe(a.demand);
                if (b.got === a.got + 1 && a.got < a.demand) {
                  expect(b.since < a.since || (b.since === a.since && orgB < orgA)).toBe(true);
                }
              }
            }
            const demand = entries.reduce((s, [, e]) => s + e.demand, 0);
            const got = entries.reduce((s, [, e]) => s + e.got, 0);
            expect(got).toBe(Math.min(demand, viewOf(input, l, day, t, 'mailboxes')));
          }
        }
      }),
      runs,
    );
  });

  test('a lower tier never takes reserved headroom (mailboxes and bytes)', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const l = ledger(input, planProgramme(input));
        for (const day of days(l)) {
          for (let t = 1; t < planTiers.length; t++) {
            for (const what of ['mailboxes', 'bytes'] as const) {
              expect(l.byTier(day, t, what)).toBeLessThanOrEqual(viewOf(input, l, day, t, what));
            }
          }
        }
      }),
      runs,
    );
  });

  test('all ready, no per-organisation maximum, no reservations, bytes not binding: makespan = capacity lower bound', () => {
    const shape = {
      generousBytes: true,
      allReady: true,
      noPerOrgMax: true,
      noReserved: true,
      noFrozen: true,
      noLaterDates: true,
    };
    fc.assert(
      fc.property(arbPlanInput(shape), (input) => {
        fc.pre(input.claims.length > 0);
        const plan = planProgramme(input);
        const mailboxes = input.claims.reduce((s, c) => s + c.mailboxes, 0);
        const bytes = input.claims.reduce((s, c) => s + c.bytes, 0);
        const bound = capacityLowerBound(input.calendar, firstDay, mailboxes, bytes, input.horizonDays);
        if (bound === null) expect(plan.stoppedBecause).not.toBe('done');
        else expect(plan.projectedFinish).toBe(bound);
      }),
      runs,
    );
  });

  test('re-planning never moves frozen days, and materialising the first day then re-planning changes nothing', () => {
    fc.assert(
      fc.property(arbPlanInput(), (input) => {
        const plan = planProgramme(input);
        const schedules = new Map(plan.requests.map((r) => [r.requestId, r]));
        for (const f of input.frozen) {
          expect(schedules.get(f.requestId)!.days).toContainEqual({
            date: f.date,
            mailboxes: f.mailboxes,
            bytes: f.bytes,
            frozen: true,
          });
        }
        for (const day of plan.days.filter((d) => d.date < firstDay)) {
          const frozen = input.frozen.filter((f) => f.date === day.date).reduce((s, f) => s + f.mailboxes, 0);
          expect(day.total.mailboxes).toBe(frozen);
        }
        // The wave timer's view: day 0 becomes frozen, the claims keep what is left, planning resumes on day 1.
        const l = ledger(input, plan);
        const dayZero = l.placed.filter((p) => p.day === 0);
        const claims: MigrationClaim[] = input.claims
          .map((c) => {
            const part = dayZero.find((p) => p.requestId === c.requestId);
            return part ? { ...c, mailboxes: c.mailboxes - part.mailboxes, bytes: c.bytes - part.bytes } : c;
          })
          .filter((c) => c.mailboxes > 0);
        const frozen = [
          ...input.frozen,
          ...dayZero.map((p) => {
            const c = l.claimOf.get(p.requestId)!;
            return {
              date: firstDay,
              requestId: c.requestId,
              orgId: c.orgId,
              tier: c.tier,
              mailboxes: p.mailboxes,
              bytes: p.bytes,
            };
          }),
        ];
        const next = planProgramme({
          ...input,
          firstDay: addDays(firstDay, 1),
          frozen,
          claims,
          horizonDays: input.horizonDays! - 1,
        });
        const later = (p: PlanResult) =>
          p.requests
            .flatMap((r) =>
              r.days
                .filter((d) => !d.frozen)
                .map((d) => `${r.requestId} ${d.date} ${d.mailboxes} ${d.bytes}`),
            )
            .sort();
        expect(later(next)).toEqual(later(plan).filter((line) => !line.includes(` ${firstDay} `)));
      }),
      runs,
    );
  });

  test('deterministic: the order claims are given in changes nothing', () => {
    fc.assert(
      fc.property(arbPlanInput(), fc.integer(), (input, seed) => {
        const shuffled = [...input.claims].sort(
          (a, b) =>
            (((a.requestId.length * 31 + seed) ^ a.arrivedAtMs) % 7) -
            (((b.requestId.length * 31 + seed) ^ b.arrivedAtMs) % 7),
        );
        const key = (p: PlanResult) =>
          JSON.stringify([...p.requests].sort((a, b) => (a.requestId < b.requestId ? -1 : 1)));
        const a = planProgramme(input);
        const b = planProgramme({ ...input, claims: shuffled });
        expect(key(b)).toBe(key(a));
        expect(b.days).toEqual(a.days);
      }),
      { numRuns: 100 },
    );
  });
});
