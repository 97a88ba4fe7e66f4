/**
 * One watcher per process and slot store: while this process has waiters or holders, it reads the slots'
 * partition once per checkpoint and tells each of them what became of its lease (granted, asked to yield,
 * lost), and while someone here waits it runs a decision of its own now and then, so leases that expired
 * are dropped and their slots granted even when no one else decides. One query per checkpoint per instance,
 * however many units of work the instance runs. Decisions taken in this process reach its waiters and
 * holders at once (`tellLocal`): the shared ledger stays the truth; this only saves the wait.
 */
import { ensureError } from '../../domain/errors';
import type { SlotChange } from '../../domain/scheduling/execution-slots';
import type { SlotLease } from '../../domain/scheduling/slot-leases';
import type { AppContext, ExecutionSlotSettings } from '../context';
import type { ExecutionSlotStore } from '../ports/execution-slots';
import { decideOnSlots as decideShared, type SlotResult } from './slot-decisions';

export const defaultCheckpointMs = 200;
/** How often a process with waiters dispatches the line itself (purging what expired). */
const redecideEveryMs = 1_000;

/** A waiter or holder of this process: told its lease row (null when it is gone) at every checkpoint. */
export interface SlotMember {
  leaseId: string;
  holder: string;
  waiting: boolean;
  onRow(row: SlotLease | null): void;
}

class SlotWatcher {
  private readonly members = new Map<string, SlotMember>();
  /** When each member joined: a read that started before it is older than what the member knows. */
  private readonly joinedAtMs = new WeakMap<SlotMember, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking = false;
  private dispatching = false;
  private decidedAtMs = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly store: ExecutionSlotStore,
    private readonly settings: ExecutionSlotSettings,
  ) {}

  join(member: SlotMember): void {
    this.members.set(member.holder, member);
    this.joinedAtMs.set(member, this.ctx.clock().getTime());
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.settings.checkpointMs ?? defaultCheckpointMs);
      this.timer.unref?.();
    }
  }

  leave(member: SlotMember): void {
    if (this.members.get(member.holder) === member) this.members.delete(member.holder);
    if (this.members.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Tells this process's members about lease rows a decision here just wrote. */
  tell(rows: readonly SlotLease[]): void {
    for (const row of rows) {
      const member = this.members.get(row.holder);
      if (member?.leaseId === row.leaseId) member.onRow(row);
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.members.size === 0) return;
    this.ticking = true;
    try {
      const nowMs = this.ctx.clock().getTime();
      const anyWaiting = [...this.members.values()].some((m) => m.waiting);
      if (anyWaiting && !this.dispatching && nowMs - this.decidedAtMs >= redecideEveryMs) {
        // In the background: a checkpoint (and the renewals it triggers) must not wait for the ledger's queue.
        this.decidedAtMs = nowMs;
        this.dispatching = true;
        void decide(this.ctx, this.store, this.settings)
          .catch((err: unknown) => {
            this.ctx.log('warn', `execution slots: dispatch failed: ${ensureError(err).message}`);
          })
          .finally(() => {
            this.dispatching = false;
          });
      }
      const readAtMs = this.ctx.clock().getTime();
      const byHolder = new Map((await this.store.listLeases()).map((row) => [row.holder, row]));
      for (const member of [...this.members.values()]) {
        if ((this.joinedAtMs.get(member) ?? Infinity) >= readAtMs) continue;
        const row = byHolder.get(member.holder);
        member.onRow(row?.leaseId === member.leaseId ? row : null);
      }
    } catch (err: unknown) {
      // A checkpoint that cannot read is tried again at the next one; leases outlive a short outage.
      this.ctx.log('warn', `execution slots: checkpoint failed: ${ensureError(err).message}`);
    } finally {
      this.ticking = false;
    }
  }
}

const watchers = new WeakMap<ExecutionSlotStore, SlotWatcher>();

/** The process's watcher for this store. */
export function watcherFor(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
): SlotWatcher {
  let watcher = watchers.get(store);
  if (!watcher) {
    watcher = new SlotWatcher(ctx, store, settings);
    watchers.set(store, watcher);
  }
  return watcher;
}

/** A decision on the shared ledger, whose written rows this process's members hear of at once. */
export async function decide(
  ctx: AppContext,
  store: ExecutionSlotStore,
  settings: ExecutionSlotSettings,
  change?: SlotChange,
): Promise<SlotResult> {
  const result = await decideShared(ctx, store, settings, change);
  watcherFor(ctx, store, settings).tell(result.changed);
  return result;
}
