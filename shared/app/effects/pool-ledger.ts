/**
 * Decisions on one pool, applied to its partition: the ledger (ETag-checked) and the claims a decision
 * moves commit together, so concurrent Function instances never allocate twice or lose a release. The
 * pure decisions are the domain's (`arrivalShortcut`, `dispatch`); this file reads, decides and writes.
 */
import { TriageError } from '../../domain/errors';
import { holdOn } from '../../domain/holds';
import { dispatch } from '../../domain/scheduling/admission';
import { applyDueSchedule, poolCapacitySpec, type PoolDefinition } from '../../domain/scheduling/pool';
import {
  arrivalShortcut,
  asCapacityClaim,
  asHolding,
  summaryOf,
  withStarted,
  withStartedAdmission,
  withWaiting,
  type PoolClaimRecord,
  type PoolLedger,
} from '../../domain/scheduling/pool-claims';
import type { AppContext } from '../context';
import { maxClaimChangesPerCommit } from '../ports/pools';
import { currentHolds } from './holds';
import { retryOnConflict } from './retry-on-conflict';

/** What a decision did to claims other than the caller's own. */
export interface PoolDecision {
  /** Claims admitted from the line: their requests go back to `queued` and their message is sent again. */
  admitted: PoolClaimRecord[];
  /** Admitted claims pushed back to the line for a higher tier (they keep their place). */
  preempted: PoolClaimRecord[];
  /** The caller's own claim after the decision (arriving, released: absent). */
  own?: PoolClaimRecord;
  /** Schedule entries that fell due and were applied. */
  appliedSchedule: number;
  version: number;
}

export interface DecideOptions {
  /** A claim joining the line now (its Function is running: if admitted, it starts at once). */
  arriving?: PoolClaimRecord;
  /** A claim leaving (released, failed, cancelled): its capacity returns to the pool. */
  remove?: string;
  /** A new definition (capacity, reservations, policy, schedule) taking effect now. */
  redefine?: PoolDefinition;
  /** An organisation's tier changed: its claims that have not started take their new place in the line. */
  retier?: { orgId: string; tier: string };
}

const rollUpAttempts = 50;

/** The claim as it re-enters the line: admission resets what the requester was told. */
const waitingAgain = (c: PoolClaimRecord): PoolClaimRecord => ({
  ...c,
  state: 'waiting',
  notifiedDeferral: false,
});

/**
 * Reads the whole line, applies what is due, runs the full dispatch and commits the decision in chunks of
 * at most 99 claim changes, each chunk consistent on its own (its ledger summary is recomputed for the rows
 * as they stand after it). A conflict re-reads and decides again.
 * @throws TriageError `not-found` when the pool does not exist; `concurrency` when it kept changing.
 */
export async function decideOnPool(
  ctx: AppContext,
  poolId: string,
  options: DecideOptions = {},
): Promise<PoolDecision> {
  return retryOnConflict(
    async () => {
      const [ledger, rows] = await Promise.all([
        ctx.ports.pools.getLedger(poolId),
        ctx.ports.pools.listClaims(poolId),
      ]);
      if (!ledger) throw new TriageError('not-found', `no pool "${poolId}"`);
      const nowMs = ctx.clock().getTime();
      const byId = new Map(rows.map((r) => [r.requestId, r]));
      const changes = new Map<string, PoolClaimRecord | null>();
      const { arriving, remove } = options;
      if (arriving && !byId.has(arriving.requestId)) {
        byId.set(arriving.requestId, arriving);
        changes.set(arriving.requestId, arriving);
      }
      if (remove && byId.has(remove)) {
        byId.delete(remove);
        changes.set(remove, null);
      }
      const { retier } = options;
      for (const row of retier ? byId.values() : []) {
        if (row.orgId !== retier!.orgId || row.state === 'started' || row.tier === retier!.tier) continue;
        const moved = { ...row, tier: retier!.tier };
        byId.set(row.requestId, moved);
        changes.set(row.requestId, moved);
      }
      const { pool, applied } = applyDueSchedule(options.redefine ?? ledger.pool, nowMs);
      const current = [...byId.values()];
      // A held claim keeps its place (its row stays as it is) but is not admitted: like a not-ready
      // organisation, its turn goes to the next claim that may start.
      const holds = await currentHolds(ctx);
      const decision = dispatch({
        spec: poolCapacitySpec(pool),
        tiers: ctx.tierPolicies,
        holdings: current.filter((r) => r.state !== 'waiting').map(asHolding),
        waiting: current
          .filter((r) => r.state === 'waiting' && holdOn(holds, r) === undefined)
          .map(asCapacityClaim),
        nowMs,
      });
      const admitted: PoolClaimRecord[] = [];
      const preempted: PoolClaimRecord[] = [];
      for (const claim of decision.admitted) {
        const row = byId.get(claim.id)!;
        // The arriving claim's Function is running now: it starts at once and cannot be pushed back.
        const next: PoolClaimRecord = {
          ...row,
          state: claim.id === arriving?.requestId ? 'started' : 'admitted',
          admittedAtMs: nowMs,
        };
        byId.set(claim.id, next);
        changes.set(claim.id, next);
        if (claim.id !== arriving?.requestId) admitted.push(next);
      }
      for (const holding of decision.preempted) {
        const next = waitingAgain(byId.get(holding.id)!);
        byId.set(holding.id, next);
        changes.set(holding.id, next);
        preempted.push(next);
      }
      const version = await commitInChunks(ctx, ledger, pool, rows, changes);
      const own = arriving ? byId.get(arriving.requestId) : undefined;
      return { admitted, preempted, ...(own ? { own } : {}), appliedSchedule: applied.length, version };
    },
    { what: `pool ${poolId}`, maxAttempts: rollUpAttempts },
  );
}

/** Commits `changes` in chunks; every chunk carries the ledger with the summary of the rows after it. */
async function commitInChunks(
  ctx: AppContext,
  ledger: PoolLedger,
  pool: PoolDefinition,
  before: readonly PoolClaimRecord[],
  changes: Map<string, PoolClaimRecord | null>,
): Promise<number> {
  const pending = [...changes.entries()];
  const state = new Map(before.map((r) => [r.requestId, r]));
  let current = ledger;
  const version = ledger.version + 1;
  do {
    const chunk = pending.splice(0, maxClaimChangesPerCommit);
    for (const [id, row] of chunk) {
      if (row) state.set(id, row);
      else state.delete(id);
    }
    const put = chunk.filter(([, row]) => row !== null).map(([, row]) => row!);
    const remove = chunk.filter(([, row]) => row === null).map(([id]) => id);
    current = await ctx.ports.pools.commit(
      { ...current, pool, summary: summaryOf([...state.values()]), version },
      { put, remove },
    );
  } while (pending.length > 0);
  return version;
}

/**
 * An arrival decided from the ledger alone when the domain's shortcut can (one point read, one commit):
 * `started` (admitted, and the caller runs it now) or `waiting`; otherwise the full decision.
 */
export async function arriveAtPool(
  ctx: AppContext,
  poolId: string,
  claim: PoolClaimRecord,
): Promise<PoolDecision> {
  const quick = await retryOnConflict(
    async () => {
      const [ledger, existing] = await Promise.all([
        ctx.ports.pools.getLedger(poolId),
        ctx.ports.pools.getClaim(poolId, claim.requestId),
      ]);
      if (!ledger) throw new TriageError('not-found', `no pool "${poolId}"`);
      if (existing) return { own: existing, version: ledger.version }; // a redelivery: nothing new
      const nowMs = ctx.clock().getTime();
      if (applyDueSchedule(ledger.pool, nowMs).applied.length > 0) return null;
      // The summary counts held claims as waiting: with any hold, only the full decision is right.
      if ((await currentHolds(ctx)).length > 0) return null;
      const shortcut = arrivalShortcut(ledger, ctx.tierPolicies, claim, nowMs);
      if (shortcut === 'full') return null;
      const own: PoolClaimRecord = { ...claim, state: shortcut === 'admit' ? 'started' : 'waiting' };
      const summary =
        shortcut === 'admit' ? withStarted(ledger.summary, claim) : withWaiting(ledger.summary, claim);
      await ctx.ports.pools.commit({ ...ledger, summary, version: ledger.version + 1 }, { put: [own] });
      return { own, version: ledger.version + 1 };
    },
    { what: `pool ${poolId}`, maxAttempts: rollUpAttempts },
  );
  if (quick)
    return { admitted: [], preempted: [], own: quick.own, appliedSchedule: 0, version: quick.version };
  return decideOnPool(ctx, poolId, { arriving: claim });
}

/**
 * An admitted claim's Function starts it: from now on it is never pushed back.
 * @returns the claim's state after the attempt (`waiting` when it was pushed back first), or null if gone.
 */
export async function startAdmitted(
  ctx: AppContext,
  poolId: string,
  requestId: string,
): Promise<PoolClaimRecord | null> {
  return retryOnConflict(
    async () => {
      const [ledger, claim] = await Promise.all([
        ctx.ports.pools.getLedger(poolId),
        ctx.ports.pools.getClaim(poolId, requestId),
      ]);
      if (!ledger || !claim || claim.state !== 'admitted') return claim;
      const started: PoolClaimRecord = { ...claim, state: 'started' };
      await ctx.ports.pools.commit(
        { ...ledger, summary: withStartedAdmission(ledger.summary), version: ledger.version + 1 },
        { put: [started] },
      );
      return started;
    },
    { what: `pool ${poolId}`, maxAttempts: rollUpAttempts },
  );
}
