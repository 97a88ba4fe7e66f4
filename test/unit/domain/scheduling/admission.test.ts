import { decideArrival, dispatch, type DispatchInput } from '../../../../shared/domain/scheduling/admission';
import type { CapacityClaim, CapacityHolding } from '../../../../shared/domain/scheduling/capacity-line';
import { simulateQueue } from '../../../../shared/domain/scheduling/eta';
import {
  applyDueSchedule,
  poolCapacitySpec,
  poolView,
  type PoolDefinition,
} from '../../../../shared/domain/scheduling/pool';
import { plainTiers } from './capacity-arbitraries';

const rank = new Map(plainTiers.map((t) => [t.name, t.rank]));

/** The pool and its claims as the app layer would keep them. */
class PoolState {
  holdings: CapacityHolding[] = [];
  waiting: CapacityClaim[] = [];
  admittedOrder: string[] = [];
  preemptedIds: string[] = [];
  constructor(public pool: PoolDefinition) {}

  input(nowMs: number): DispatchInput {
    return {
      spec: poolCapacitySpec(this.pool),
      tiers: plainTiers,
      holdings: this.holdings,
      waiting: this.waiting,
      nowMs,
    };
  }

  arrive(claim: CapacityClaim, nowMs: number): void {
    const decision = decideArrival(this.input(nowMs), claim);
    if (decision.kind === 'admit') {
      this.holdings.push({ ...claim, started: false });
      this.admittedOrder.push(claim.id);
    } else if (decision.kind === 'defer') this.waiting.push(claim);
    else this.apply(decision.decision);
  }

  dispatch(nowMs: number): void {
    this.apply(dispatch(this.input(nowMs)));
  }

  private apply(decision: ReturnType<typeof dispatch>): void {
    this.holdings = decision.holdings;
    this.waiting = decision.waiting;
    this.admittedOrder.push(...decision.admitted.map((c) => c.id));
    this.preemptedIds.push(...decision.preempted.map((h) => h.id));
  }

  start(ids: readonly string[]): void {
    this.holdings = this.holdings.map((h) => (ids.includes(h.id) ? { ...h, started: true } : h));
  }
}

const claim = (
  id: string,
  orgId: string,
  tier: string,
  arrivedAtMs: number,
  quantity: number,
): CapacityClaim => ({
  id,
  orgId,
  tier,
  arrivedAtMs,
  quantity,
});

describe('admission: the crisis story', () => {
  const pool: PoolDefinition = {
    poolId: 'vm-uksouth',
    resourceType: 'vm',
    region: 'uksouth',
    capacity: 100,
    reserved: { health: 20, government: 10 },
    policy: 'strict',
    schedule: [{ atMs: 1000, capacity: 160 }],
  };

  test('standard flood, then remote-work, government and health; capacity added by schedule in tier order', () => {
    const state = new PoolState(pool);
    // 1. A flood of standard requests takes all but the reservations; the rest wait.
    for (let i = 0; i < 20; i++) state.arrive(claim(`s${i}`, `shop${i % 4}`, 'standard', 1 + i, 5), 1 + i);
    expect(state.holdings.length).toBe(14);
    expect(poolView(state.pool, state.holdings, state.waiting, plainTiers).availableByTier).toEqual({
      health: 30,
      government: 10,
      'remote-work': 0,
      standard: 0,
    });
    state.start(state.holdings.slice(0, 8).map((h) => h.id));

    // 2. Remote work waits (no reservation, nothing to preempt below it that helps: standard has not started
    //    for 6 of them, so it preempts those, latest in line first).
    for (let i = 0; i < 3; i++) state.arrive(claim(`r${i}`, 'telco', 'remote-work', 30 + i, 5), 30 + i);
    // 3. Government: its 10 reserved, then pushes back not-started lower work.
    for (let i = 0; i < 4; i++) state.arrive(claim(`g${i}`, 'council', 'government', 40 + i, 5), 40 + i);
    // 4. Health: admitted at once, by its reservation and by preempting whatever has not started below it.
    for (let i = 0; i < 6; i++) state.arrive(claim(`h${i}`, `trust${i % 2}`, 'health', 50 + i, 5), 50 + i);

    const holding = new Set(state.holdings.map((h) => h.id));
    for (let i = 0; i < 6; i++) expect(holding.has(`h${i}`)).toBe(true);
    for (let i = 0; i < 4; i++) expect(holding.has(`g${i}`)).toBe(true);
    // Started work was never pushed back; everything pushed back was standard or remote work, not started.
    const started = state.holdings.filter((h) => h.started).map((h) => h.id);
    expect(started).toHaveLength(8);
    // Remote work took the three latest not-started standard claims (fair turns over four shops: s13, s12,
    // s11), government two more (s10, s9) after its reservation, health the last standard one and then the
    // latest remote-work claim.
    expect(state.preemptedIds).toEqual(['s13', 's12', 's11', 's10', 's9', 's8', 'r2']);
    expect(state.holdings.reduce((sum, h) => sum + h.quantity, 0)).toBeLessThanOrEqual(100);

    // 5. Everyone waiting has a position, an ETA (the scheduled raise at 1000) or an honest null, a reason.
    const before = simulateQueue(state.input(60));
    expect(before.entries.map((e) => e.position)).toEqual(before.entries.map((_, i) => i + 1));
    for (const e of before.entries) {
      expect(e.reason).toMatch(/^(no capacity is expected to free up|pool vm@uksouth is full)/);
      if (e.etaMs === null) expect(e.reason).toMatch(/^no capacity is expected to free up/);
    }
    expect(before.entries[0]!.claim.id).toBe('r2');
    expect(before.entries[1]!.reason).toBe(
      'pool vm@uksouth is full: 100 of 100 used; 1 remote-work request ahead',
    );
    expect(before.entries[1]!.aheadByTier).toEqual({ 'remote-work': 1 });
    const expectedAt1000 = before.entries.filter((e) => e.etaMs === 1000).map((e) => e.claim.id);
    expect(expectedAt1000.length).toBeGreaterThan(0);

    // 6. The scheduled raise comes due: admitted strictly in tier order, exactly those the ETAs predicted.
    const due = applyDueSchedule(state.pool, 1000);
    expect(due.pool.capacity).toBe(160);
    expect(due.pool.schedule).toEqual([]);
    state.pool = due.pool;
    const admittedBefore = state.admittedOrder.length;
    state.dispatch(1000);
    const admittedNow = state.admittedOrder.slice(admittedBefore);
    expect(admittedNow).toEqual(expectedAt1000);
    const ranks = admittedNow.map((id) => rank.get(state.holdings.find((h) => h.id === id)!.tier)!);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const waitingTiers = new Set(state.waiting.map((c) => c.tier));
    expect(waitingTiers.has('remote-work')).toBe(false);
  });

  test('preemption takes the latest in line first and no more than it needs', () => {
    const holdings: CapacityHolding[] = [
      { id: 'early', orgId: 'a', tier: 'standard', arrivedAtMs: 1, quantity: 4, started: false },
      { id: 'running', orgId: 'b', tier: 'standard', arrivedAtMs: 2, quantity: 4, started: true },
      { id: 'late', orgId: 'c', tier: 'standard', arrivedAtMs: 3, quantity: 4, started: false },
      { id: 'latest', orgId: 'd', tier: 'standard', arrivedAtMs: 4, quantity: 1, started: false },
    ];
    const spec = { label: 'pool vm@x', capacity: 13, reserved: {}, policy: 'strict' as const, schedule: [] };
    const decision = dispatch({
      spec,
      tiers: plainTiers,
      holdings,
      waiting: [claim('urgent', 'trust', 'health', 10, 4)],
      nowMs: 20,
    });
    // 0 free: "latest" (1) is not enough, "late" (4) is; keeping "latest" still leaves room for 4.
    expect(decision.preempted.map((h) => h.id)).toEqual(['late']);
    expect(decision.admitted.map((c) => c.id)).toEqual(['urgent']);
    expect(decision.waiting).toEqual([
      { id: 'late', orgId: 'c', tier: 'standard', arrivedAtMs: 3, quantity: 4 },
    ]);
  });

  test('a pushed-back claim keeps its place: ahead of later claims of its tier', () => {
    const holdings: CapacityHolding[] = [
      { id: 'pushed', orgId: 'a', tier: 'standard', arrivedAtMs: 1, quantity: 5, started: false },
    ];
    const waiting = [claim('later', 'b', 'standard', 5, 5), claim('urgent', 't', 'health', 9, 5)];
    const spec = { label: 'pool vm@x', capacity: 5, reserved: {}, policy: 'strict' as const, schedule: [] };
    const decision = dispatch({ spec, tiers: plainTiers, holdings, waiting, nowMs: 10 });
    expect(decision.preempted.map((h) => h.id)).toEqual(['pushed']);
    expect(decision.waiting.map((c) => c.id)).toEqual(['pushed', 'later']);
  });

  test('a claim larger than what its tier may take waits even when the pool has room for it', () => {
    const spec = {
      label: 'pool vm@x',
      capacity: 10,
      reserved: { health: 6 },
      policy: 'strict' as const,
      schedule: [],
    };
    const input = { spec, tiers: plainTiers, holdings: [], waiting: [], nowMs: 0 };
    expect(decideArrival(input, claim('s', 'a', 'standard', 0, 5))).toEqual({ kind: 'defer' });
    expect(decideArrival(input, claim('h', 'a', 'health', 0, 10))).toEqual({
      kind: 'admit',
      servedTier: 'health',
    });
  });

  test("an old arrival that moves its organisation's waiting claim back a turn lets the next claim in", () => {
    // Found by the property test: b's blocked claim of 3 headed the line; b's older claim of 1 arrives,
    // takes b's first turn, and pushes b's 3 behind a's 1, which now fits the 1 left.
    const spec = { label: 'pool vm@x', capacity: 17, reserved: {}, policy: 'strict' as const, schedule: [] };
    const holdings: CapacityHolding[] = [
      { id: 'held', orgId: 'a', tier: 'health', arrivedAtMs: 0, quantity: 15, started: false },
    ];
    const waiting = [claim('b-big', 'b', 'remote-work', 1, 3), claim('a-small', 'a', 'remote-work', 2, 1)];
    const input = { spec, tiers: plainTiers, holdings, waiting, nowMs: 10 };
    expect(dispatch(input).steps).toEqual([]);
    const decision = decideArrival(input, claim('b-old', 'b', 'remote-work', 0, 1));
    expect(decision.kind).toBe('dispatch');
    if (decision.kind !== 'dispatch') return;
    expect(decision.decision.steps.map((s) => s.claim.id)).toEqual(['b-old', 'a-small']);
    expect(decision.decision.waiting.map((c) => c.id)).toEqual(['b-big']);
  });

  test('bounded wait: a standard claim waiting long enough is served ahead of newer government work', () => {
    const tiers = plainTiers.map((t) => (t.name === 'standard' ? { ...t, maxWaitInMs: 100 } : t));
    const spec = { label: 'pool vm@x', capacity: 5, reserved: {}, policy: 'strict' as const, schedule: [] };
    const waiting = [claim('old', 'a', 'standard', 0, 5), claim('gov', 'b', 'government', 240, 5)];
    const decision = dispatch({ spec, tiers, holdings: [], waiting, nowMs: 250 });
    expect(decision.steps.map((s) => [s.claim.id, s.servedTier])).toEqual([['old', 'government']]);
  });

  test('the capacity lowered below use takes nothing back and admits nothing', () => {
    const holdings: CapacityHolding[] = [
      { id: 'h', orgId: 'a', tier: 'health', arrivedAtMs: 0, quantity: 8, started: true },
    ];
    const spec = { label: 'pool vm@x', capacity: 5, reserved: {}, policy: 'strict' as const, schedule: [] };
    const decision = dispatch({
      spec,
      tiers: plainTiers,
      holdings,
      waiting: [claim('w', 'b', 'health', 1, 1)],
      nowMs: 2,
    });
    expect(decision.steps).toEqual([]);
    expect(decision.holdings).toEqual(holdings);
  });

  test('bad claims are refused', () => {
    const spec = { label: 'pool vm@x', capacity: 5, reserved: {}, policy: 'strict' as const, schedule: [] };
    const base = { spec, tiers: plainTiers, holdings: [], nowMs: 0 };
    expect(() =>
      dispatch({ ...base, waiting: [claim('x', 'a', 'health', 0, 1), claim('x', 'b', 'health', 0, 1)] }),
    ).toThrow(/appears twice/);
    expect(() => dispatch({ ...base, waiting: [claim('x', 'a', 'health', 0, 0)] })).toThrow(
      /must be positive/,
    );
  });
});
