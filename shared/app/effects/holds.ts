/**
 * Holds as the work sees them: a per-process cache of the `holds` rows (read at most every
 * {@link holdCacheInMs}, so a batch can check at every item boundary for free), parking work that
 * is due while held, and the registry of work executing now that a drain report reads.
 */
import { ensureError } from '../../domain/errors';
import {
  drainReport,
  holdOn,
  resumedMessage,
  type DrainReport,
  type HoldScope,
  type Hold,
  type ParkedWork,
  type RunningWork,
  type WorkOwner,
} from '../../domain/holds';
import type { AppContext } from '../context';
import { publishWork } from './publish';

/** How stale another instance's view of the holds may be (README: "Hold and drain"). */
export const holdCacheInMs = 2_000;

/** A running row without a heartbeat for this long belongs to an instance that died. */
export const runningStaleAfterMs = 10 * 60_000;

/** How often a long batch refreshes its running row (at an item boundary). */
const heartbeatEveryMs = 30_000;

const cache = new WeakMap<AppContext, { atMs: number; holds: Promise<Hold[]> }>();

/**
 * Wall-clock milliseconds, for this process's cache and the running registry's liveness: those are about
 * real seconds whatever `TRIAGE_CLOCK_SPEED` does to the app's clock (at 1440× a 2 s cache would last
 * 1.4 ms, and every item boundary would read the table).
 */
const wallClockMs = (): number => Date.now();

/** The holds, at most {@link holdCacheInMs} old (`fresh`: read now). */
export async function currentHolds(ctx: AppContext, options: { fresh?: boolean } = {}): Promise<Hold[]> {
  const nowMs = wallClockMs();
  const cached = cache.get(ctx);
  if (!options.fresh && cached && nowMs - cached.atMs < holdCacheInMs && nowMs >= cached.atMs) {
    return cached.holds;
  }
  const entry = { atMs: nowMs, holds: ctx.ports.holds.listHolds() };
  cache.set(ctx, entry);
  // A failed read is not cached: the next check reads again.
  entry.holds.catch(() => {
    if (cache.get(ctx) === entry) cache.delete(ctx);
  });
  return entry.holds;
}

/** This process's view after it placed or removed a hold: no stale answer here. */
export function forgetHolds(ctx: AppContext): void {
  cache.delete(ctx);
}

/** The hold that stops this work now, if any. */
export async function holdOnWork(ctx: AppContext, work: WorkOwner): Promise<Hold | undefined> {
  return holdOn(await currentHolds(ctx), work);
}

/**
 * Parks work that was due while held: its message is kept and the delivery completes. A resume that ran
 * while this instance still saw the hold (its cache) would miss it, so the hold is read again after
 * parking: if it is gone and the row is still here, this call takes it back and sends the message itself.
 * @returns `parked`, or `sent` when the hold had already been lifted.
 */
export async function parkWork(
  ctx: AppContext,
  work: Omit<ParkedWork, 'parkedAt'>,
): Promise<'parked' | 'sent'> {
  const parked: ParkedWork = { ...work, parkedAt: ctx.now() };
  await ctx.ports.holds.park(parked);
  if (holdOn(await currentHolds(ctx, { fresh: true }), work)) return 'parked';
  if (!(await ctx.ports.holds.unpark(work.key))) return 'sent'; // a resume took it and sent it
  const { message, messageId } = resumedMessage(parked);
  await publishWork(ctx, [{ message, messageId }]);
  return 'sent';
}

/** A registration in the running registry, for as long as the work executes. */
export interface RunningHandle {
  /** At an item boundary: refreshes the row now and then (its heartbeat and the items left). */
  beat(itemsLeft: number): void;
  /** The work stopped (finished, parked, failed): its row goes. Never throws. */
  done(): Promise<void>;
}

/**
 * Registers work as executing (one row write) until `done` (one delete). A failure to write the registry
 * never stops the work: a drain report may then undercount, and says so in the log.
 */
export async function trackRunning(
  ctx: AppContext,
  work: Omit<RunningWork, 'startedAt' | 'heartbeatAt'>,
): Promise<RunningHandle> {
  const startedAt = new Date(wallClockMs()).toISOString();
  let lastBeatMs = wallClockMs();
  const write = (itemsLeft: number): Promise<void> =>
    ctx.ports.holds
      .markRunning({ ...work, itemsLeft, startedAt, heartbeatAt: new Date(wallClockMs()).toISOString() })
      .catch((err: unknown) =>
        ctx.log('warn', `running registry: ${work.key} not recorded: ${ensureError(err).message}`),
      );
  await write(work.itemsLeft);
  let pending: Promise<void> = Promise.resolve();
  return {
    beat(itemsLeft) {
      const nowMs = wallClockMs();
      if (nowMs - lastBeatMs < heartbeatEveryMs) return;
      lastBeatMs = nowMs;
      pending = pending.then(() => write(itemsLeft));
    },
    async done() {
      await pending;
      await ctx.ports.holds
        .clearRunning(work)
        .catch((err: unknown) =>
          ctx.log('warn', `running registry: ${work.key} not cleared: ${ensureError(err).message}`),
        );
    },
  };
}

/** The drain report of one tier or organisation, held or not (read now, never cached). */
export async function drainReportOf(ctx: AppContext, scope: HoldScope, target: string): Promise<DrainReport> {
  const [hold, running, parked] = await Promise.all([
    ctx.ports.holds.getHold(scope, target),
    ctx.ports.holds.listRunning(),
    ctx.ports.holds.listParked(),
  ]);
  return drainReport({
    scope,
    target,
    hold: hold ?? undefined,
    running,
    parked,
    nowMs: wallClockMs(),
    staleAfterMs: runningStaleAfterMs,
  });
}

/** Every hold with its drain report, earliest first (the status page, `triage hold status`). */
export async function drainReports(ctx: AppContext): Promise<DrainReport[]> {
  const [holds, running, parked] = await Promise.all([
    ctx.ports.holds.listHolds(),
    ctx.ports.holds.listRunning(),
    ctx.ports.holds.listParked(),
  ]);
  const nowMs = wallClockMs();
  return holds
    .sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0))
    .map((hold) => drainReport({ ...hold, hold, running, parked, nowMs, staleAfterMs: runningStaleAfterMs }));
}
