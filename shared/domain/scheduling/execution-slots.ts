/**
 * The full decision on the execution slots (SCHEDULING.md rules 1–3 and "Priority under overload"), taken on
 * every row of the slots' partition: expired leases are dropped (a crashed holder never leaks slots), the
 * caller's change is applied (join the line, release, renew), then the line is dispatched in tier order with
 * nested reservations. A waiting lease is granted what its tier may take, up to its ask, as soon as that is
 * at least its minimum; when it is less, lower-tier holders are asked to yield what it asks for (latest
 * granted first, just enough) — they give their slots back at their next checkpoint, so it starts within
 * about one item's duration. The head of the line blocks those behind it (strict). Pure.
 */
import { amountsByIndex, headroomOf, tierTable } from './capacity';
import { unionLine, type CapacityClaim, type CapacityHolding } from './capacity-line';
import {
  isExpired,
  maxLeaseChangesPerCommit,
  summaryOfLeases,
  type SlotLease,
  type SlotSpec,
  type SlotSummary,
} from './slot-leases';
import type { TierPolicy } from './waiting-line';

/** What the caller does with its own lease. */
export type SlotChange =
  /** Joins the line (or updates its ask); `lease.state` is `waiting`. A held lease of the same holder stays held. */
  | { kind: 'acquire'; lease: SlotLease }
  /** Gives its lease back (held or waiting): its slots go to the line. */
  | { kind: 'release'; leaseId: string; holder: string }
  /** Extends its held lease to `expiresAtMs`. */
  | { kind: 'renew'; leaseId: string; holder: string; expiresAtMs: number };

export interface SlotDecisionInput {
  spec: SlotSpec;
  tiers: readonly TierPolicy[];
  /** Every row of the partition, expired ones included. */
  leases: readonly SlotLease[];
  nowMs: number;
  /** How long a grant lasts before it must be renewed. */
  leaseDurationMs: number;
  change?: SlotChange;
  /** Lease changes this decision may make (what is left of one commit). Default `maxLeaseChangesPerCommit`. */
  changeBudget?: number;
}

/** `busy`: another delivery holds (or waits for) the same unit of work; `lost`: the caller's lease is gone. */
export type SlotOutcome = 'granted' | 'waiting' | 'busy' | 'released' | 'renewed' | 'lost';

export interface SlotDecision {
  outcome: SlotOutcome;
  /** The caller's lease after the decision, if it has one. */
  own: SlotLease | null;
  /** The caller's place in the waiting line (1 = next), when it waits. */
  position?: number;
  /** Rows to write whole, and lease ids to delete; at most `maxLeaseChangesPerCommit` in all. */
  put: SlotLease[];
  remove: string[];
  /** The live leases after the decision, and their summary. */
  leases: SlotLease[];
  summary: SlotSummary;
}

/**
 * Decides one change on the slots and dispatches the line. Changes beyond one commit's budget are left for
 * the next decision (expired rows first, then grants at the end of the line), never half-applied.
 * @throws RangeError on duplicate tier names or ranks, or a lease asking for fewer than one slot (or a
 *   minimum above its ask).
 */
export function decideSlots(input: SlotDecisionInput): SlotDecision {
  const { nowMs, change } = input;
  const rows = new Map(input.leases.map((lease) => [lease.leaseId, lease]));
  const put = new Map<string, SlotLease>();
  const remove = new Set<string>();
  let outcome: SlotOutcome = 'waiting';
  let ownId: string | undefined;

  const expired = [...rows.values()].filter((lease) => isExpired(lease, nowMs));
  for (const lease of expired) rows.delete(lease.leaseId);

  if (change?.kind === 'acquire') {
    const { lease } = change;
    if (!(lease.slots >= 1) || !(lease.minSlots >= 1) || lease.minSlots > lease.slots) {
      throw new RangeError(`lease "${lease.leaseId}" asks for ${lease.minSlots}–${lease.slots} slots`);
    }
    ownId = lease.leaseId;
    const current = rows.get(lease.leaseId);
    if (current && current.holder !== lease.holder) {
      return unchanged(input, 'busy', null);
    }
    if (current?.state === 'held') return unchanged(input, 'granted', current);
    const joined = { ...lease, state: 'waiting' as const, sinceMs: current?.sinceMs ?? nowMs };
    rows.set(lease.leaseId, joined);
    put.set(lease.leaseId, joined);
  } else if (change) {
    ownId = change.leaseId;
    const current = rows.get(change.leaseId);
    if (!current || current.holder !== change.holder) {
      outcome = change.kind === 'release' ? 'released' : 'lost';
      ownId = undefined;
    } else if (change.kind === 'release') {
      rows.delete(change.leaseId);
      remove.add(change.leaseId);
      outcome = 'released';
      ownId = undefined;
    } else {
      const renewed = { ...current, expiresAtMs: Math.max(current.expiresAtMs, change.expiresAtMs) };
      rows.set(change.leaseId, renewed);
      put.set(change.leaseId, renewed);
      outcome = current.state === 'held' ? 'renewed' : 'waiting';
    }
  }

  const budget = (): number => (input.changeBudget ?? maxLeaseChangesPerCommit) - put.size - remove.size;
  dispatch(input, rows, put, budget);
  // Expired rows are dropped from the decision either way; only their deletion waits for a later commit.
  for (const lease of expired) if (budget() > 0 && !put.has(lease.leaseId)) remove.add(lease.leaseId);

  const leases = [...rows.values()];
  const own = ownId ? (rows.get(ownId) ?? null) : null;
  if (own && change?.kind === 'acquire') outcome = own.state === 'held' ? 'granted' : 'waiting';
  const unpurged = expired.filter((lease) => !remove.has(lease.leaseId));
  const position = own?.state === 'waiting' ? positionOf(input, leases, own.leaseId) : undefined;
  return {
    outcome,
    own,
    ...(position !== undefined ? { position } : {}),
    put: [...put.values()],
    remove: [...remove],
    leases,
    summary: summaryOfLeases([...leases, ...unpurged], nowMs),
  };
}

/** A decision that writes nothing (the caller's lease is another delivery's, or already granted). */
function unchanged(input: SlotDecisionInput, outcome: SlotOutcome, own: SlotLease | null): SlotDecision {
  const leases = input.leases.filter((lease) => !isExpired(lease, input.nowMs));
  return { outcome, own, put: [], remove: [], leases, summary: summaryOfLeases(input.leases, input.nowMs) };
}

const asClaim = (lease: SlotLease): CapacityClaim => ({
  id: lease.leaseId,
  orgId: lease.orgId,
  tier: lease.tier,
  arrivedAtMs: lease.arrivedAtMs,
  quantity: lease.slots,
});

/**
 * Walks the line: grants what fits, asks lower-tier holders to yield for a higher tier that cannot get its
 * whole ask, and stops at the first lease that must wait (strict). Yield requests are recomputed from scratch,
 * so a request whose reason went away is withdrawn.
 */
function dispatch(
  input: SlotDecisionInput,
  rows: Map<string, SlotLease>,
  put: Map<string, SlotLease>,
  budget: () => number,
): void {
  const { spec, tiers, nowMs } = input;
  const table = tierTable(tiers);
  const reserved = amountsByIndex(table, spec.reserved);
  const held = [...rows.values()].filter((lease) => lease.state === 'held');
  const waiting = [...rows.values()].filter((lease) => lease.state === 'waiting');
  const used = new Float64Array(table.count + 1);
  const idle = new Float64Array(table.count + 1);
  for (const lease of held) used[table.indexOf(lease.tier)]! += lease.slots;
  const holdings: CapacityHolding[] = held.map((lease) => ({ ...asClaim(lease), started: true }));
  const line = unionLine(holdings, waiting.map(asClaim), tiers, table, nowMs).filter((e) => !e.holding);
  // Lower-tier holders, latest granted first: the first asked to give their slots back.
  const yieldable = [...held].sort((a, b) => b.sinceMs - a.sinceMs || (a.leaseId < b.leaseId ? 1 : -1));
  const asked = new Set<string>();

  for (const entry of line) {
    const lease = rows.get(entry.claim.id)!;
    const headroom = Math.floor(headroomOf(entry.servedIndex, spec.capacity, reserved, used));
    // A minimum above what the tier could ever take would wait for ever: cap it there.
    const most = Math.floor(headroomOf(entry.servedIndex, spec.capacity, reserved, idle));
    if (headroom >= Math.max(1, Math.min(lease.minSlots, most))) {
      if (budget() <= 0) break;
      grant(lease, Math.min(lease.slots, headroom));
      continue;
    }
    // It cannot start: lower-tier holders give back what it asks for, and it waits for them (strict).
    const shortfall = lease.slots - Math.max(0, headroom);
    let coming = 0;
    for (const holder of yieldable) {
      if (coming >= shortfall) break;
      if (table.indexOf(holder.tier) <= entry.servedIndex || asked.has(holder.leaseId)) continue;
      asked.add(holder.leaseId);
      coming += holder.slots;
    }
    break;
  }

  for (const lease of held) {
    const wanted = asked.has(lease.leaseId);
    if (lease.yieldRequested === wanted || (budget() <= 0 && !put.has(lease.leaseId))) continue;
    const next = { ...(rows.get(lease.leaseId) ?? lease), yieldRequested: wanted };
    rows.set(lease.leaseId, next);
    put.set(lease.leaseId, next);
  }

  function grant(lease: SlotLease, slots: number): void {
    const granted: SlotLease = {
      ...lease,
      state: 'held',
      slots,
      sinceMs: nowMs,
      expiresAtMs: nowMs + input.leaseDurationMs,
      yieldRequested: false,
    };
    rows.set(lease.leaseId, granted);
    put.set(lease.leaseId, granted);
    used[table.indexOf(lease.tier)]! += slots;
  }
}

/** 1-based place of a waiting lease in the line. */
function positionOf(input: SlotDecisionInput, leases: readonly SlotLease[], leaseId: string): number {
  const table = tierTable(input.tiers);
  const held = leases.filter((l) => l.state === 'held').map((l) => ({ ...asClaim(l), started: true }));
  const waiting = leases.filter((l) => l.state === 'waiting').map(asClaim);
  const line = unionLine(held, waiting, input.tiers, table, input.nowMs).filter((e) => !e.holding);
  return line.findIndex((entry) => entry.claim.id === leaseId) + 1;
}
