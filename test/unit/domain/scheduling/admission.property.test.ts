import fc from 'fast-check';
import {
  decideArrival,
  dispatch,
  type DispatchDecision,
} from '../../../../shared/domain/scheduling/admission';
import { tierTable } from '../../../../shared/domain/scheduling/capacity';
import {
  unionLine,
  type CapacityClaim,
  type CapacityHolding,
} from '../../../../shared/domain/scheduling/capacity-line';
import { simulateQueue } from '../../../../shared/domain/scheduling/eta';
import { servedTierIndex, tiersInOrder } from '../../../../shared/domain/scheduling/waiting-line';
import { arbScenario, headroomFor, type Scenario } from './capacity-arbitraries';

const runs = { numRuns: 300 };

/** Replays the steps from the input, checking each admission against the rules from scratch. */
function replay(s: Scenario, decision: DispatchDecision): void {
  const table = tierTable(s.tiers);
  const ordered = tiersInOrder(s.tiers);
  const served = (c: CapacityClaim) => servedTierIndex(c, ordered, s.nowMs);
  const held = new Map<string, CapacityClaim & { started?: boolean }>(s.holdings.map((h) => [h.id, h]));
  const waiting = new Map<string, CapacityClaim>(s.waiting.map((c) => [c.id, c]));
  for (const step of decision.steps) {
    expect(waiting.has(step.claim.id)).toBe(true);
    for (const p of step.preempted) {
      // Preemption only touches admitted work that has not started, of a lower served tier.
      expect(held.has(p.id)).toBe(true);
      expect(held.get(p.id)!.started).toBe(false);
      expect(served(p)).toBeGreaterThan(served(step.claim));
      held.delete(p.id);
      waiting.set(p.id, p);
    }
    const headroom = headroomFor(table, s.spec, s.nowMs, served(step.claim), [...held.values()]);
    // Never over capacity, and never into the unused reservation of a tier above the one it is served at.
    expect(step.claim.quantity).toBeLessThanOrEqual(headroom);
    // Minimal: keeping any one of the preempted holdings would leave too little.
    for (const p of step.preempted) expect(step.claim.quantity).toBeGreaterThan(headroom - p.quantity);
    if (step.backfilled) expect(step.preempted).toEqual([]);
    expect(step.servedTier).toBe(table.names[served(step.claim)] ?? '(unknown tier)');
    waiting.delete(step.claim.id);
    held.set(step.claim.id, { ...step.claim, started: false });
  }
  expect(new Set(decision.holdings.map((h) => h.id))).toEqual(new Set(held.keys()));
  expect(new Set(decision.waiting.map((c) => c.id))).toEqual(new Set(waiting.keys()));
}

const etaOf = (s: Scenario, holdings: readonly CapacityHolding[], waiting: readonly CapacityClaim[]) =>
  new Map(simulateQueue({ ...s, holdings, waiting }).entries.map((e) => [e.claim.id, e.etaMs ?? Infinity]));

describe('dispatch properties', () => {
  test('every admission fits its served tier, preemption is minimal and never touches started work', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => replay(s, dispatch(s))),
      runs,
    );
  });

  test('idempotent: run on its own result it admits and preempts nothing more', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const first = dispatch(s);
        const again = dispatch({ ...s, holdings: first.holdings, waiting: first.waiting });
        expect(again.steps).toEqual([]);
      }),
      runs,
    );
  });

  test('every claim still waiting is behind every claim admitted in turn (all of them under strict)', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const decision = dispatch(s);
        const inTurn = new Set(decision.steps.filter((st) => !st.backfilled).map((st) => st.claim.id));
        const admitted = new Set(decision.admitted.map((c) => c.id));
        const waiting = new Set(decision.waiting.map((c) => c.id));
        if (s.spec.policy === 'strict') expect(decision.steps.every((st) => !st.backfilled)).toBe(true);
        const line = unionLine(decision.holdings, decision.waiting, s.tiers, tierTable(s.tiers), s.nowMs);
        const lastAdmitted = line
          .map((e) => admitted.has(e.claim.id) && inTurn.has(e.claim.id))
          .lastIndexOf(true);
        const firstWaiting = line.findIndex((e) => waiting.has(e.claim.id));
        if (lastAdmitted >= 0 && firstWaiting >= 0) expect(firstWaiting).toBeGreaterThan(lastAdmitted);
      }),
      runs,
    );
  });

  test('backfill: a claim left waiting ahead of one started out of turn could not start without delaying one ahead of it', () => {
    fc.assert(
      fc.property(arbScenario('backfill'), (s) => {
        const decision = dispatch(s);
        const table = tierTable(s.tiers);
        const line = unionLine(decision.holdings, decision.waiting, s.tiers, table, s.nowMs);
        const backfilled = new Set(decision.steps.filter((st) => st.backfilled).map((st) => st.claim.id));
        const waiting = new Set(decision.waiting.map((c) => c.id));
        line.forEach((ahead, i) => {
          if (!waiting.has(ahead.claim.id)) return;
          const behind = new Set(line.slice(i + 1).map((e) => e.claim.id));
          if (![...backfilled].some((id) => behind.has(id))) return;
          // The state when it was considered: without the backfills behind it.
          const held = decision.holdings.filter((h) => !(backfilled.has(h.id) && behind.has(h.id)));
          const queued = [
            ...decision.waiting,
            ...decision.admitted.filter((c) => backfilled.has(c.id) && behind.has(c.id)),
          ];
          const fits = ahead.claim.quantity <= headroomFor(table, s.spec, s.nowMs, ahead.servedIndex, held);
          if (!fits) return;
          const before = etaOf(s, held, queued);
          const after = etaOf(
            s,
            [...held, { ...ahead.claim, started: false }],
            queued.filter((c) => c.id !== ahead.claim.id),
          );
          const delaysOne = line
            .slice(0, i)
            .some((e) => waiting.has(e.claim.id) && after.get(e.claim.id)! > before.get(e.claim.id)!);
          expect(delaysOne).toBe(true);
        });
      }),
      runs,
    );
  });

  test('backfill: a claim started out of turn delays no ETA of a claim ahead of it', () => {
    fc.assert(
      fc.property(arbScenario('backfill'), (s) => {
        const decision = dispatch(s);
        const withAll = etaOf(s, decision.holdings, decision.waiting);
        for (const step of decision.steps.filter((st) => st.backfilled)) {
          const without = etaOf(
            s,
            decision.holdings.filter((h) => h.id !== step.claim.id),
            decision.waiting,
          );
          const table = tierTable(s.tiers);
          const line = unionLine(decision.holdings, decision.waiting, s.tiers, table, s.nowMs);
          const position = line.findIndex((e) => e.claim.id === step.claim.id);
          for (const ahead of line.slice(0, position)) {
            if (!withAll.has(ahead.claim.id)) continue;
            expect(withAll.get(ahead.claim.id)!).toBeLessThanOrEqual(without.get(ahead.claim.id)!);
          }
        }
      }),
      runs,
    );
  });

  test('the ETA of the head is now when it fits (before any dispatch)', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const forecast = simulateQueue(s);
        const head = forecast.entries[0];
        if (!head) return;
        const table = tierTable(s.tiers);
        const servedIndex = servedTierIndex(head.claim, tiersInOrder(s.tiers), s.nowMs);
        const fits = head.claim.quantity <= headroomFor(table, s.spec, s.nowMs, servedIndex, s.holdings);
        if (fits) expect(head.etaMs).toBe(s.nowMs);
        else expect(head.etaMs === null || head.etaMs > s.nowMs).toBe(true);
        for (const e of forecast.entries)
          if (e.etaMs !== null) expect(e.etaMs).toBeGreaterThanOrEqual(s.nowMs);
      }),
      runs,
    );
  });

  test('decideArrival on a dispatched line decides exactly what a full dispatch would', () => {
    fc.assert(
      fc.property(arbScenario(), fc.nat(), (s, pick) => {
        if (s.waiting.length === 0) return;
        const arriving = s.waiting[pick % s.waiting.length]!;
        const settled = dispatch({ ...s, waiting: s.waiting.filter((c) => c !== arriving) });
        const input = { ...s, holdings: settled.holdings, waiting: settled.waiting };
        const fast = decideArrival(input, arriving);
        const full = dispatch({ ...input, waiting: [...input.waiting, arriving] });
        if (fast.kind === 'admit') {
          expect(full.steps.map((st) => [st.claim.id, st.preempted.length])).toEqual([[arriving.id, 0]]);
          expect(fast.servedTier).toBe(full.steps[0]!.servedTier);
        } else if (fast.kind === 'defer') expect(full.steps).toEqual([]);
        else expect(fast.decision).toEqual(full);
      }),
      { numRuns: 500 },
    );
  });
});
