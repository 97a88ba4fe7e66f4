import { ensureError } from '../../domain/errors';
import type { RequestRecord } from '../../domain/records';
import { isTerminal } from '../../domain/status';
import type { AppContext } from '../context';

/**
 * Whether a request is settled for good: finished, and (a cancelled migration) with no batch still open,
 * whose in-flight work has yet to be recorded.
 */
export function isSettled(record: RequestRecord): boolean {
  if (!isTerminal(record.status)) return false;
  if (record.status !== 'cancelled' || record.kind !== 'migrate' || record.batchCount === undefined)
    return true;
  return record.batchesCompleted >= record.batchCount;
}

/**
 * Keeps the activity index in step with a request just written: its progress time now, or its row removed
 * once it is settled. Best effort: a stale row only makes the reconciler look at a request early (it reads
 * the request and finds it fine), and a missing one is written again by the next progress.
 */
export async function trackActivity(ctx: AppContext, record: RequestRecord, at = ctx.now()): Promise<void> {
  try {
    if (isSettled(record)) await ctx.ports.activity.remove(record.id);
    else await ctx.ports.activity.touch({ requestId: record.id, status: record.status, progressAt: at });
  } catch (err: unknown) {
    ctx.log('warn', `activity of ${record.id} not recorded: ${ensureError(err).message}`);
  }
}
