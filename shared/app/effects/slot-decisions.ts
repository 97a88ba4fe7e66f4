/**
 * Decisions on the execution slots, applied to their partition: the ledger (ETag-checked) and the leases a
 * decision moves commit together, so instances never grant the same slot twice. Most acquires, releases and
 * renewals are decided from the ledger alone (one point read, one commit); the rest read the partition and
 * run the domain's full decision (`decideSlots`). A conflict re-reads and decides again.
 */
import { decideSlots, type SlotChange, type SlotDecision } from '../../domain/scheduling/execution-slots';
import {
  acquireShortcut,
  emptySlotSummary,
  quietShortcut,
  withHeld,
  withoutHeld,
  type SlotLease,
  type SlotLedger,
  type SlotSpec,
} from '../../domain/scheduling/slot-leases';
import type { AppContext, ExecutionSlotSettings } from '../context';
import type { ExecutionSlotStore } from '../ports/execution-slots';
import { retryOnConflict } from './retry-on-conflict';

/** Every holder and waiter decides on the one ledger: allow more collisions than elsewhere. */
const decisionAttempts = 60;

/** The part of a decision the caller acts on. */
export type SlotResult = Pick<SlotDecision, 'outcome' | 'own' | 'position'>;

const sameSpec = (a: SlotSpec, b: SlotSpec): boolean =>
  a.capacity === b.capacity && JSON.stringify(a.reserved) === JSON.stringify(b.reserved);

/**
 * Applies one change to the slots (or none: purge what expired and dispatch the line).
 * @throws TriageError `concurrency` when the ledger kept changing; storage errors as the adapter maps them.
 */
export async function decideOnSlots(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
  change?: SlotChange,
): Promise<SlotResult> {
  return retryOnConflict(
    async () => (await quickly(ctx, store, settings, change)) ?? fully(ctx, store, settings, change),
    { what: 'the execution slots', maxAttempts: decisionAttempts },
  );
}

/** The ledger-only path, or null when the full decision is needed. */
async function quickly(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
  change: SlotChange | undefined,
): Promise<SlotResult | null> {
  if (!change) return null;
  const leaseId = change.kind === 'acquire' ? change.lease.leaseId : change.leaseId;
  const [ledger, current] = await Promise.all([store.getLedger(), store.getLease(leaseId)]);
  if (!ledger || !sameSpec(ledger.spec, settings.spec)) return null;
  const nowMs = ctx.clock().getTime();
  const commit = (summary: SlotLedger['summary'], put: SlotLease[], remove: string[] = []) =>
    store.commit({ ...ledger, spec: settings.spec, summary, version: ledger.version + 1 }, { put, remove });

  if (change.kind === 'acquire') {
    if (current || acquireShortcut(ledger, ctx.tierPolicies, change.lease, nowMs) !== 'grant') return null;
    const granted: SlotLease = {
      ...change.lease,
      state: 'held',
      sinceMs: nowMs,
      expiresAtMs: nowMs + settings.leaseDurationMs,
      yieldRequested: false,
    };
    await commit(withHeld(ledger.summary, granted), [granted]);
    return { outcome: 'granted', own: granted };
  }
  if (!current || current.holder !== change.holder || current.state !== 'held') return null;
  if (!quietShortcut(ledger.summary, nowMs)) return null;
  if (change.kind === 'release') {
    await commit(withoutHeld(ledger.summary, current), [], [current.leaseId]);
    return { outcome: 'released', own: null };
  }
  const renewed = { ...current, expiresAtMs: Math.max(current.expiresAtMs, change.expiresAtMs) };
  await commit(ledger.summary, [renewed]);
  return { outcome: 'renewed', own: renewed };
}

/** Reads the partition, decides with the domain, commits what changed (nothing when nothing did). */
async function fully(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
  change: SlotChange | undefined,
): Promise<SlotResult> {
  const [ledger, leases] = await Promise.all([store.getLedger(), store.listLeases()]);
  const decision = decideSlots({
    spec: settings.spec,
    tiers: ctx.tierPolicies,
    leases,
    nowMs: ctx.clock().getTime(),
    leaseDurationMs: settings.leaseDurationMs,
    ...(change ? { change } : {}),
  });
  const changed = decision.put.length > 0 || decision.remove.length > 0;
  if (changed || !ledger || !sameSpec(ledger.spec, settings.spec)) {
    const base: SlotLedger = ledger ?? { spec: settings.spec, summary: emptySlotSummary(), version: 0 };
    await store.commit(
      { ...base, spec: settings.spec, summary: decision.summary, version: base.version + 1 },
      { put: decision.put, remove: decision.remove },
    );
  }
  return {
    outcome: decision.outcome,
    own: decision.own,
    ...(decision.position !== undefined ? { position: decision.position } : {}),
  };
}
