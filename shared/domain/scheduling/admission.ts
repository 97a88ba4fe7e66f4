/**
 * Admission on a stock-like capacity (SCHEDULING.md rules 1–6): which waiting claims start now, and which
 * admitted-but-not-started holdings are pushed back to make room for higher tiers. Pure: the app layer reads
 * the pool, the holdings and the line, calls `dispatch` (or `decideArrival`), and writes the decision back.
 *
 * The walk follows the line (`unionLine`): a claim is admitted when its quantity fits its served tier's
 * headroom; when it does not, lower-tier holdings that have not started are pushed back if that makes it
 * fit (`choosePreemption`); otherwise the walk stops there. Under `strict` nothing behind it starts. Under
 * `backfill`, the claims behind it whose simulated start (`simulateStarts`, which never delays a claim
 * ahead) is now start as well; a backfill never preempts.
 */
import { capacityAt, headroomOf, amountsByIndex, tierTable, type CapacitySpec } from './capacity';
import { arrivalPlace } from './arrival-place';
import {
  unionLine,
  usedByIndex,
  type CapacityClaim,
  type CapacityHolding,
  type LineEntry,
} from './capacity-line';
import { choosePreemption } from './preemption';
import { simulateStarts } from './start-times';
import type { TierPolicy } from './waiting-line';

export interface DispatchInput {
  spec: CapacitySpec;
  tiers: readonly TierPolicy[];
  /** Admitted claims, started or not. */
  holdings: readonly CapacityHolding[];
  /** Waiting claims, in any order. */
  waiting: readonly CapacityClaim[];
  nowMs: number;
}

/** One admission, in the order decided. */
export interface AdmissionStep {
  claim: CapacityClaim;
  /** The tier it was served at (its own, or higher after bounded-wait promotion). */
  servedTier: string;
  /** Holdings pushed back to make room for it (none for a backfill). */
  preempted: CapacityHolding[];
  /** True when it started while a claim ahead of it still waits (backfill policy). */
  backfilled: boolean;
}

export interface DispatchDecision {
  /** Every admission in order, for the history and the tests; a claim may be pushed back, then readmitted. */
  steps: AdmissionStep[];
  /** Claims that were waiting and now hold (net of the steps): mark them admitted. */
  admitted: CapacityClaim[];
  /** Holdings that now wait again (net of the steps): mark them deferred; they keep their arrival. */
  preempted: CapacityHolding[];
  /** The holdings after the decision; admitted claims are not started. */
  holdings: CapacityHolding[];
  /** The waiting claims after the decision, in line order. */
  waiting: CapacityClaim[];
}

/**
 * Admits from the head of the line as the capacity allows, preempting not-started lower-tier work for
 * higher tiers. Idempotent: run on its own `holdings` and `waiting`, it decides nothing more.
 * @throws RangeError on duplicate tier names or ranks, on a claim id used twice, or on a claim whose
 *   quantity is not a positive number.
 */
export function dispatch(input: DispatchInput): DispatchDecision {
  checkClaims(input.holdings, input.waiting);
  const { spec, tiers, nowMs } = input;
  const table = tierTable(tiers);
  const capacity = capacityAt(spec, nowMs);
  const reserved = amountsByIndex(table, spec.reserved);
  const used = usedByIndex(table, input.holdings);
  const line = unionLine(input.holdings, input.waiting, tiers, table, nowMs);
  const holds = line.map((entry) => entry.holding);
  const lowerNotStarted = new NotStartedHoldings(line);
  const steps: AdmissionStep[] = [];
  const admit = (i: number, preempted: CapacityHolding[], backfilled: boolean): void => {
    const entry = line[i]!;
    holds[i] = true;
    used[entry.tierIndex]! += entry.claim.quantity;
    steps.push({
      claim: entry.claim,
      servedTier: servedTierName(table.names, entry.servedIndex),
      preempted,
      backfilled,
    });
  };

  let blockedAt = line.length;
  for (let i = 0; i < line.length; i++) {
    if (holds[i]) continue;
    const entry = line[i]!;
    const need = entry.claim.quantity - headroomOf(entry.servedIndex, capacity, reserved, used);
    if (need <= 0) {
      admit(i, [], false);
      continue;
    }
    const chosen = choosePreemption(lowerNotStarted.latestFirst(entry.servedIndex), need);
    if (!chosen) {
      blockedAt = i;
      break;
    }
    for (const holding of chosen) {
      const j = lowerNotStarted.remove(holding);
      holds[j] = false;
      used[line[j]!.tierIndex]! -= holding.quantity;
    }
    admit(i, chosen, false);
  }

  if (spec.policy === 'backfill' && blockedAt < line.length) {
    const rest: number[] = [];
    for (let i = blockedAt; i < line.length; i++) if (!holds[i]) rest.push(i);
    const starts = simulateStarts({
      spec,
      table,
      holdings: line.filter((_, i) => holds[i]).map((entry) => asHolding(entry.claim)),
      line: rest.map((i) => line[i]!),
      nowMs,
    });
    rest.forEach((i, k) => {
      if (starts.startMs[k] === nowMs) admit(i, [], true);
    });
  }
  return summarise(
    input,
    line.map((entry) => entry.claim),
    holds,
    steps,
  );
}

/**
 * The cheap path for one arriving claim on a line a previous `dispatch` left as it is (nothing admissible
 * waiting) at this `nowMs`: `admit` or `defer` change nothing else and cost one pass over the claims
 * without sorting. When preemption might make room, the capacity backfills, or the arrival moves its own
 * organisation's waiting claims back a turn (an old arrival, such as a claim pushed back), it runs the full
 * `dispatch` instead. `arriving` must not already be held or waiting (a redelivered message): the caller checks.
 * @throws RangeError on duplicate tier names or ranks, or a quantity that is not positive.
 */
export function decideArrival(
  input: DispatchInput,
  arriving: CapacityClaim,
):
  | { kind: 'admit'; servedTier: string }
  | { kind: 'defer' }
  | { kind: 'dispatch'; decision: DispatchDecision } {
  const full = () => ({
    kind: 'dispatch' as const,
    decision: dispatch({ ...input, waiting: [...input.waiting, arriving] }),
  });
  if (input.spec.policy === 'backfill') return full();
  // Only the newcomer's quantity is checked: looking its id up among every claim would cost more than the
  // decision itself, and a redelivered arrival is the caller's to recognise.
  checkClaims([], [arriving]);
  const table = tierTable(input.tiers);
  const served = arrivalPlace(input, arriving);
  if (served.anyAhead) return { kind: 'defer' };
  const capacity = capacityAt(input.spec, input.nowMs);
  const headroom = headroomOf(
    served.index,
    capacity,
    amountsByIndex(table, input.spec.reserved),
    served.used,
  );
  // Admitting it alone is the whole decision only when the rest of the line keeps its order: when its
  // organisation has claims waiting behind it, their turns move back and someone else's may fit now.
  if (arriving.quantity <= headroom && !served.reordersOwnTurns) {
    return { kind: 'admit', servedTier: servedTierName(table.names, served.index) };
  }
  if (arriving.quantity > headroom && served.preemptable < arriving.quantity - headroom)
    return { kind: 'defer' };
  return full();
}

function servedTierName(names: readonly string[], index: number): string {
  return names[index] ?? '(unknown tier)';
}

function asHolding(claim: CapacityClaim): CapacityHolding {
  return 'started' in claim ? (claim as CapacityHolding) : { ...claim, started: false };
}

function asClaim(holding: CapacityHolding): CapacityClaim {
  const { started: _started, ...claim } = holding;
  return claim;
}

function summarise(
  input: DispatchInput,
  lineClaims: readonly CapacityClaim[],
  holds: readonly boolean[],
  steps: AdmissionStep[],
): DispatchDecision {
  const wasHolding = new Set<CapacityClaim>(input.holdings);
  const admitted: CapacityClaim[] = [];
  const preempted: CapacityHolding[] = [];
  const holdings: CapacityHolding[] = [];
  const waiting: CapacityClaim[] = [];
  lineClaims.forEach((claim, i) => {
    const before = wasHolding.has(claim);
    if (holds[i]) {
      holdings.push(before ? (claim as CapacityHolding) : { ...claim, started: false });
      if (!before) admitted.push(claim);
    } else {
      waiting.push(before ? asClaim(claim as CapacityHolding) : claim);
      if (before) preempted.push(claim as CapacityHolding);
    }
  });
  return { steps, admitted, preempted, holdings, waiting };
}

/** @throws RangeError on a duplicate id or a quantity that is not a positive finite number. */
function checkClaims(holdings: readonly CapacityClaim[], waiting: readonly CapacityClaim[]): void {
  const ids = new Set<string>();
  for (const claim of [...holdings, ...waiting]) {
    if (ids.has(claim.id)) throw new RangeError(`claim "${claim.id}" appears twice`);
    ids.add(claim.id);
    if (!(claim.quantity > 0) || !Number.isFinite(claim.quantity)) {
      throw new RangeError(`claim "${claim.id}" has quantity ${claim.quantity}: it must be positive`);
    }
  }
}

/**
 * The not-started holdings in line order, as a linked list: preemption reads them from the end (the
 * latest first) down to the claim's tier and unlinks those it pushes back, so each attempt costs what it
 * looks at rather than the whole line.
 */
class NotStartedHoldings {
  private readonly previous: Int32Array;
  private readonly next: Int32Array;
  private readonly position = new Map<CapacityClaim, number>();
  private tail = -1;

  constructor(private readonly line: readonly LineEntry[]) {
    this.previous = new Int32Array(line.length).fill(-1);
    this.next = new Int32Array(line.length).fill(-1);
    line.forEach((entry, i) => {
      if (!entry.holding || (entry.claim as CapacityHolding).started) return;
      this.position.set(entry.claim, i);
      if (this.tail >= 0) this.next[this.tail] = i;
      this.previous[i] = this.tail;
      this.tail = i;
    });
  }

  /** Those served at a tier below `servedIndex`, latest in line first. */
  *latestFirst(servedIndex: number): Generator<CapacityHolding> {
    for (let i = this.tail; i >= 0 && this.line[i]!.servedIndex > servedIndex; i = this.previous[i]!) {
      yield this.line[i]!.claim as CapacityHolding;
    }
  }

  /** Unlinks a holding pushed back; returns its place in the line. */
  remove(holding: CapacityClaim): number {
    const i = this.position.get(holding)!;
    const before = this.previous[i]!;
    const after = this.next[i]!;
    if (before >= 0) this.next[before] = after;
    if (after >= 0) this.previous[after] = before;
    else this.tail = before;
    return i;
  }
}
