import { capacityLine } from '../../../domain/scheduling/capacity-line';
import { capacityView, tierTable, type CapacityView } from '../../../domain/scheduling/capacity';
import { isExpired, type SlotLease } from '../../../domain/scheduling/slot-leases';
import type { AppContext } from '../../context';

/** A unit of work holding slots, as operators see it. */
export interface SlotHolderView {
  leaseId: string;
  requestId: string;
  orgId: string;
  tier: string;
  slots: number;
  /** The instance that holds it (`WEBSITE_INSTANCE_ID`, or host name and process id), when it said. */
  instance?: string;
  since: string;
  expiresAt: string;
  /** Asked to give its slots back at its next checkpoint, for higher-tier work waiting. */
  yieldRequested: boolean;
}

/** A unit of work waiting for slots, in line order. */
export interface SlotWaiterView {
  position: number;
  leaseId: string;
  requestId: string;
  orgId: string;
  tier: string;
  /** The most it asks for. */
  slots: number;
  waitingSince: string;
}

/** `GET /api/execution-slots`: the declared slots, what each tier holds and could take, and who waits. */
export type ExecutionSlotsView =
  | { enabled: false }
  | (CapacityView & {
      enabled: true;
      waitingByTier: Record<string, number>;
      holders: SlotHolderView[];
      waiting: SlotWaiterView[];
      /** Leases past their expiry that the next decision drops (a holder that died). */
      expired: number;
      leaseDurationMs: number;
      version: number;
    });

const iso = (ms: number): string => new Date(ms).toISOString();

/** Reads the slots' one partition (the ledger and every lease); never writes. */
export async function getExecutionSlots(ctx: AppContext): Promise<ExecutionSlotsView> {
  const settings = ctx.settings.executionSlots;
  const store = ctx.ports.slots;
  if (!settings || !store) return { enabled: false };
  const [ledger, leases] = await Promise.all([store.getLedger(), store.listLeases()]);
  const nowMs = ctx.clock().getTime();
  const live = leases.filter((l) => !isExpired(l, nowMs));
  const held = live.filter((l) => l.state === 'held');
  const waiting = live.filter((l) => l.state === 'waiting');
  const table = tierTable(ctx.tierPolicies);
  const usedByTier: Record<string, number> = {};
  const waitingByTier: Record<string, number> = Object.fromEntries(table.names.map((n) => [n, 0]));
  for (const l of held) usedByTier[l.tier] = (usedByTier[l.tier] ?? 0) + l.slots;
  for (const l of waiting) waitingByTier[l.tier] = (waitingByTier[l.tier] ?? 0) + l.slots;
  const asClaim = (l: SlotLease) => ({
    id: l.leaseId,
    orgId: l.orgId,
    tier: l.tier,
    arrivedAtMs: l.arrivedAtMs,
    quantity: l.slots,
  });
  const byId = new Map(waiting.map((l) => [l.leaseId, l]));
  const line = capacityLine(
    held.map((l) => ({ ...asClaim(l), started: true })),
    waiting.map(asClaim),
    ctx.tierPolicies,
    table,
    nowMs,
  );
  return {
    enabled: true,
    ...capacityView(table, settings.spec.capacity, settings.spec.reserved, usedByTier),
    waitingByTier,
    holders: held
      .sort((a, b) => a.sinceMs - b.sinceMs)
      .map((l) => ({
        leaseId: l.leaseId,
        requestId: l.requestId,
        orgId: l.orgId,
        tier: l.tier,
        slots: l.slots,
        ...(l.holder.includes('/') ? { instance: l.holder.slice(0, l.holder.lastIndexOf('/')) } : {}),
        since: iso(l.sinceMs),
        expiresAt: iso(l.expiresAtMs),
        yieldRequested: l.yieldRequested,
      })),
    waiting: line.map((entry, i) => {
      const l = byId.get(entry.claim.id)!;
      return {
        position: i + 1,
        leaseId: l.leaseId,
        requestId: l.requestId,
        orgId: l.orgId,
        tier: l.tier,
        slots: l.slots,
        waitingSince: iso(l.sinceMs),
      };
    }),
    expired: leases.length - live.length,
    leaseDurationMs: settings.leaseDurationMs,
    version: ledger?.version ?? 0,
  };
}
