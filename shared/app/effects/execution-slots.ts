/**
 * The slot gate the work use-cases pass before calling the executor (SCHEDULING.md "Priority under
 * overload"): a unit of work asks for up to N slots, waits in line for them (in process, up to
 * `maxWaitMs`), then holds them while its items run. At every checkpoint (`checkpointMs`) the holder reads
 * its own lease: asked to yield for higher-tier work, or its lease lost, it stops taking items — those in
 * flight finish — and gives the slots back. It renews its lease at half-life, so a crashed holder's slots
 * come back within one lease duration. With no slots declared the gate is always open.
 */
import { ensureError } from '../../domain/errors';
import type { WorkMessage } from '../../domain/messages';
import type { SlotLease } from '../../domain/scheduling/slot-leases';
import type { AppContext, ExecutionSlotSettings } from '../context';
import type { ExecutionSlotStore } from '../ports/execution-slots';
import { publishWork } from './publish';
import { decideOnSlots } from './slot-decisions';

const defaultCheckpointMs = 200;
const defaultSuccessorDelayMs = 2_000;
/** A waiter deep in the line polls less often (its position times the checkpoint, up to this). */
const maxPollMs = 1_000;
/** A waiter runs a decision of its own this often, so leases that expired are purged even when all is quiet. */
const redecideEveryMs = 1_000;

/** Who asks for slots: one unit of work of one request. */
export interface SlotClaim {
  /** `{requestId}:batch-0007`, `{requestId}:provision`. */
  leaseId: string;
  request: { id: string; orgId: string; tier: string; createdAt: string };
  /** The most slots it can use (its item concurrency, at most its items left). */
  want: number;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for slots for `claim`: a grant, or `later` when the wait ran out (the caller completes its message
 * and schedules its successor, `scheduleSuccessor`). With no slots declared, a grant of `want` at once.
 * @throws TriageError when the slots' storage fails (transient: the message is delivered again).
 */
export async function acquireSlots(ctx: AppContext, claim: SlotClaim): Promise<SlotGrant | 'later'> {
  const settings = ctx.settings.executionSlots;
  const store = ctx.ports.slots;
  if (!settings || !store) return openGrant(claim.want);
  const checkpointMs = settings.checkpointMs ?? defaultCheckpointMs;
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
    holder: ctx.newId(),
    // A waiter that dies leaves the line by itself, shortly after it would have given up.
    expiresAtMs: deadlineMs + settings.leaseDurationMs,
    yieldRequested: false,
    sinceMs: startedMs,
  };
  let decidedAtMs = -Infinity;
  let position = 1;
  let inLine = false;
  let contended = false;
  for (;;) {
    const nowMs = ctx.clock().getTime();
    let own: SlotLease | null = null;
    if (!inLine) {
      // Joins the line (or finds another delivery of the same work there: it waits for it to finish).
      const result = await decideOnSlots(ctx, store, settings, { kind: 'acquire', lease });
      decidedAtMs = nowMs;
      position = result.position ?? position;
      inLine = result.outcome !== 'busy';
      contended ||= !inLine;
      if (inLine) own = result.own;
    } else {
      if (nowMs - decidedAtMs >= redecideEveryMs) {
        // Nothing of its own to change: purges expired leases and dispatches the line, writing only if that moved.
        await decideOnSlots(ctx, store, settings);
        decidedAtMs = nowMs;
      }
      own = await store.getLease(lease.leaseId);
      if (!own || own.holder !== lease.holder) {
        inLine = false;
        own = null;
      }
    }
    if (own?.state === 'held') return new HeldSlots(ctx, store, settings, own, contended);
    if (nowMs >= deadlineMs) {
      if (inLine) await leaveLine(ctx, store, settings, lease);
      return 'later';
    }
    await sleep(Math.min(maxPollMs, checkpointMs * Math.max(1, position), Math.max(1, deadlineMs - nowMs)));
  }
}

/** Gives up a place in the line; a grant that arrived meanwhile is given back with it. */
async function leaveLine(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
  lease: SlotLease,
): Promise<void> {
  await decideOnSlots(ctx, store, settings, {
    kind: 'release',
    leaseId: lease.leaseId,
    holder: lease.holder,
  });
}

function openGrant(want: number): SlotGrant {
  return { slots: Math.max(1, want), stopping: false, contended: false, release: async () => undefined };
}

/** A held lease with its checkpoint timer: yield requests, lost leases and renewals. */
class HeldSlots implements SlotGrant {
  readonly slots: number;
  reason?: 'yield' | 'lost';
  private readonly timer: ReturnType<typeof setInterval>;
  private checking = false;
  private released: Promise<void> | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly store: ExecutionSlotStore,
    private readonly settings: ExecutionSlotSettings,
    private lease: SlotLease,
    readonly contended: boolean,
  ) {
    this.slots = lease.slots;
    this.timer = setInterval(() => void this.checkpoint(), settings.checkpointMs ?? defaultCheckpointMs);
    this.timer.unref?.();
  }

  get stopping(): boolean {
    return this.reason !== undefined;
  }

  private async checkpoint(): Promise<void> {
    if (this.checking || this.released) return;
    this.checking = true;
    try {
      const current = await this.store.getLease(this.lease.leaseId);
      const nowMs = this.ctx.clock().getTime();
      if (!current || current.holder !== this.lease.holder || current.expiresAtMs <= nowMs) {
        this.reason ??= 'lost';
      } else if (current.yieldRequested) {
        this.reason ??= 'yield';
      } else if (current.expiresAtMs - nowMs < this.settings.leaseDurationMs / 2) {
        const renewed = await decideOnSlots(this.ctx, this.store, this.settings, {
          kind: 'renew',
          leaseId: current.leaseId,
          holder: current.holder,
          expiresAtMs: nowMs + this.settings.leaseDurationMs,
        });
        if (renewed.outcome === 'lost') this.reason ??= 'lost';
        else if (renewed.own) this.lease = renewed.own;
      }
    } catch (err: unknown) {
      // A checkpoint that cannot read is tried again at the next one; the lease outlives a short outage.
      this.ctx.log(
        'warn',
        `execution slots: checkpoint of ${this.lease.leaseId} failed: ${ensureError(err).message}`,
      );
    } finally {
      this.checking = false;
    }
  }

  release(): Promise<void> {
    clearInterval(this.timer);
    this.released ??= decideOnSlots(this.ctx, this.store, this.settings, {
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
 * Completes the work later: publishes the same message again, delivered `successorDelayMs` from now. Its
 * messageId is new (duplicate detection would drop a repeat of the incoming one); the work's progress lives
 * in storage, so the successor runs only what is not final.
 * @throws TriageError `dependency-unavailable` when Service Bus does not take it (the delivery is retried).
 */
export async function scheduleSuccessor(
  ctx: AppContext,
  message: WorkMessage,
  leaseId: string,
): Promise<void> {
  const delayMs = ctx.settings.executionSlots?.successorDelayMs ?? defaultSuccessorDelayMs;
  const at = ctx.clock().getTime() + delayMs;
  await publishWork(ctx, [
    { message, messageId: `${leaseId}:slots:${at.toString(36)}`, scheduledFor: new Date(at) },
  ]);
}
