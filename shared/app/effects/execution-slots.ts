/**
 * The slot gate the work use-cases pass before calling the executor (SCHEDULING.md "Priority under
 * overload"): a unit of work asks for up to N slots, waits in line for them (in process, up to
 * `maxWaitMs`), then holds them while its items run. At every checkpoint its process's watcher reads the
 * leases: asked to yield for higher-tier work, or its lease lost, the holder stops taking items — those in
 * flight finish — and gives the slots back. It renews its lease at half-life, so a crashed holder's slots
 * come back within one lease duration. With no slots declared the gate is always open.
 */
import { ensureError } from '../../domain/errors';
import type { WorkMessage } from '../../domain/messages';
import type { SlotLease } from '../../domain/scheduling/slot-leases';
import type { AppContext, ExecutionSlotSettings } from '../context';
import type { ExecutionSlotStore } from '../ports/execution-slots';
import type { DeliveryContext } from './delivery';
import { scheduleSuccessor } from './successor';
import { decide, defaultCheckpointMs, watcherFor, type SlotMember } from './slot-watcher';

const defaultSuccessorDelayMs = 2_000;

/** Who asks for slots: one unit of work of one request. */
export interface SlotClaim {
  /** `{requestId}:batch-0007`, `{requestId}:provision`. */
  leaseId: string;
  request: { id: string; orgId: string; tier: string; createdAt: string };
  /** The most slots it can use (its item concurrency, at most its items left). */
  want: number;
  /** The fewest it starts with; default 1. */
  min?: number;
}

/** Slots held for a unit of work. `stopping` turns true when it must stop taking items. */
export interface SlotGrant {
  readonly slots: number;
  readonly stopping: boolean;
  /** Why it stops: asked to yield for higher-tier work, or its lease was lost. */
  readonly reason?: 'yield' | 'lost';
  /** Another delivery of the same work held or waited for its lease meanwhile: re-read its progress. */
  readonly contended: boolean;
  /** Gives the slots back (best effort: a lease that cannot be released expires). Idempotent. */
  release(): Promise<void>;
}

/** Waits `ms`, or less when `wake` is called first. */
function napper(): { nap(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | undefined;
  return {
    nap: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    wake: () => wake?.(),
  };
}

/**
 * Waits for slots for `claim`: a grant, or `later` when the wait ran out (the caller completes its message
 * and schedules its successor, `waitForSlotsLater`). With no slots declared, a grant of `want` at once.
 * @throws TriageError when the slots' storage fails (transient: the message is delivered again).
 */
export async function acquireSlots(ctx: AppContext, claim: SlotClaim): Promise<SlotGrant | 'later'> {
  const settings = ctx.settings.executionSlots;
  const store = ctx.ports.slots;
  if (!settings || !store) return openGrant(claim.want);
  const startedMs = ctx.clock().getTime();
  const deadlineMs = startedMs + settings.maxWaitMs;
  const lease: SlotLease = {
    leaseId: claim.leaseId,
    requestId: claim.request.id,
    orgId: claim.request.orgId,
    tier: claim.request.tier,
    arrivedAtMs: Date.parse(claim.request.createdAt),
    state: 'waiting',
    slots: Math.max(1, claim.want),
    minSlots: Math.min(Math.max(1, claim.want), Math.max(1, claim.min ?? 1)),
    holder: settings.instanceId ? `${settings.instanceId}/${ctx.newId()}` : ctx.newId(),
    // A waiter renews its place like a holder: one that dies leaves the line within a lease duration.
    expiresAtMs: startedMs + settings.leaseDurationMs,
    yieldRequested: false,
    sinceMs: startedMs,
  };
  const watcher = watcherFor(ctx, store, settings);
  const sleeper = napper();
  let row: SlotLease | null | undefined;
  const member: SlotMember = {
    leaseId: lease.leaseId,
    holder: lease.holder,
    waiting: true,
    onRow: (seen) => {
      row = seen;
      if (!seen || seen.state === 'held') sleeper.wake();
      else if (seen.expiresAtMs - ctx.clock().getTime() < settings.leaseDurationMs / 2) renewWaiting();
    },
  };
  let inLine = false;
  let contended = false;
  let renewing = false;
  const renewWaiting = (): void => {
    if (renewing) return;
    renewing = true;
    const change = {
      kind: 'renew' as const,
      leaseId: lease.leaseId,
      holder: lease.holder,
      expiresAtMs: ctx.clock().getTime() + settings.leaseDurationMs,
    };
    void decide(ctx, store, settings, change)
      .catch((err: unknown) => {
        ctx.log('warn', `execution slots: ${lease.leaseId} kept no place yet: ${ensureError(err).message}`);
      })
      .finally(() => {
        renewing = false;
      });
  };
  watcher.join(member);
  try {
    for (;;) {
      if (!inLine) {
        // Joins the line (or finds another delivery of the same work there: it waits for it to finish).
        const result = await decide(ctx, store, settings, { kind: 'acquire', lease });
        inLine = result.outcome !== 'busy';
        contended ||= !inLine;
        row = inLine ? result.own : undefined;
      }
      if (row?.state === 'held') return new HeldSlots(ctx, store, settings, row, contended, watcher);
      if (row === null) inLine = false;
      const nowMs = ctx.clock().getTime();
      if (nowMs >= deadlineMs) {
        if (inLine) {
          await decide(ctx, store, settings, {
            kind: 'release',
            leaseId: lease.leaseId,
            holder: lease.holder,
          });
        }
        return 'later';
      }
      // Woken by the watcher (granted, or gone) or, while another delivery holds the work, at the next checkpoint.
      const checkpointMs = settings.checkpointMs ?? defaultCheckpointMs;
      await sleeper.nap(Math.min(inLine ? deadlineMs - nowMs : 5 * checkpointMs, deadlineMs - nowMs));
    }
  } finally {
    watcher.leave(member);
  }
}

function openGrant(want: number): SlotGrant {
  return { slots: Math.max(1, want), stopping: false, contended: false, release: async () => undefined };
}

/** A held lease, told by the watcher about yield requests and a lost lease; renews itself at half-life. */
class HeldSlots implements SlotGrant {
  readonly slots: number;
  reason?: 'yield' | 'lost';
  private renewing = false;
  private released: Promise<void> | undefined;
  private readonly member: SlotMember;

  constructor(
    private readonly ctx: AppContext,
    private readonly store: ExecutionSlotStore,
    private readonly settings: ExecutionSlotSettings,
    private lease: SlotLease,
    readonly contended: boolean,
    private readonly watcher: ReturnType<typeof watcherFor>,
  ) {
    this.slots = lease.slots;
    this.member = {
      leaseId: lease.leaseId,
      holder: lease.holder,
      waiting: false,
      onRow: (row) => this.checkpoint(row),
    };
    watcher.join(this.member);
  }

  get stopping(): boolean {
    return this.reason !== undefined;
  }

  private checkpoint(row: SlotLease | null): void {
    if (this.released) return;
    const nowMs = this.ctx.clock().getTime();
    if (!row || row.state !== 'held' || row.expiresAtMs <= nowMs) this.reason ??= 'lost';
    else if (row.yieldRequested) this.reason ??= 'yield';
    else if (row.expiresAtMs - nowMs < this.settings.leaseDurationMs / 2) void this.renew(nowMs);
  }

  private async renew(nowMs: number): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const renewed = await decide(this.ctx, this.store, this.settings, {
        kind: 'renew',
        leaseId: this.lease.leaseId,
        holder: this.lease.holder,
        expiresAtMs: nowMs + this.settings.leaseDurationMs,
      });
      if (renewed.outcome === 'lost') this.reason ??= 'lost';
      else if (renewed.own) this.lease = renewed.own;
    } catch (err: unknown) {
      this.ctx.log(
        'warn',
        `execution slots: ${this.lease.leaseId} not renewed yet: ${ensureError(err).message}`,
      );
    } finally {
      this.renewing = false;
    }
  }

  release(): Promise<void> {
    this.watcher.leave(this.member);
    this.released ??= decide(this.ctx, this.store, this.settings, {
      kind: 'release',
      leaseId: this.lease.leaseId,
      holder: this.lease.holder,
    }).then(
      () => undefined,
      (err: unknown) => {
        this.ctx.log(
          'warn',
          `execution slots: ${this.lease.leaseId} not released (its lease expires instead): ${ensureError(err).message}`,
        );
      },
    );
    return this.released;
  }
}

/**
 * Runs `work` holding `grant`, and gives the slots back however it ends — without waiting for the ledger, so
 * what follows the call (recording its outcome) is not delayed by it; a release that fails is logged and the
 * lease expires instead.
 */
export async function holdingSlots<T>(grant: SlotGrant, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    void grant.release();
  }
}

/**
 * Completes the work later, after a wait for slots that ran out: the same message, delivered
 * `successorDelayMs` from now, through the one successor protocol (`scheduleSuccessor`). The work's progress
 * lives in storage, so the successor runs only what is not final.
 * @throws TriageError `dependency-unavailable` when Service Bus does not take it (the delivery is retried).
 */
export async function waitForSlotsLater(
  ctx: AppContext,
  message: WorkMessage,
  delivery: DeliveryContext,
): Promise<void> {
  const delayMs = ctx.settings.executionSlots?.successorDelayMs ?? defaultSuccessorDelayMs;
  await scheduleSuccessor(ctx, message, delivery, {
    at: new Date(ctx.clock().getTime() + delayMs),
    wait: true,
  });
}
