import { parseIsoDurationInMs } from '../../../domain/duration';
import { ensureError } from '../../../domain/errors';
import { holdOn } from '../../../domain/holds';
import type { AppContext } from '../../context';
import { currentHolds } from '../../effects/holds';
import { repairStuck, type Repair } from '../../effects/repair';

export interface ReconcileOptions {
  /** How long without progress makes a request stuck; the settings' `staleAfterMs` by default. */
  staleAfterMs?: number;
  /** Most requests examined in one run (the rest wait for the next). Default 500. */
  limit?: number;
}

export interface ReconcileReport {
  examined: number;
  repairs: Repair[];
  /** Requests whose repair failed this time (tried again on the next run). */
  failures: Array<{ requestId: string; error: string }>;
}

/**
 * The reconciler (a timer): every non-terminal request with no recorded progress for `staleAfterMs` is
 * read and repaired (`repairStuck`). It reads the activity index — the requests in flight, by last progress
 * — never the requests or items tables as a whole. Safe to run concurrently with itself and the workers.
 */
export async function reconcile(ctx: AppContext, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  // Never sooner than a message can be held (locked by a worker that died, then redelivered) or be waiting
  // for its back-off successor: a repair then would only duplicate work still in flight.
  const configured = options.staleAfterMs ?? ctx.settings.staleAfterMs;
  const floor =
    parseIsoDurationInMs(ctx.topology.subscriptionDefaults.lockDuration) + ctx.settings.retry.maxDelayMs;
  const staleAfterMs = Math.max(configured, floor);
  // Queued requests are looked at sooner (the outbox): their re-publish reuses the messageId they were
  // sent with, harmless while a worker holds it, and dedup-safe only inside the detection window.
  const outboxAfterMs = Math.min(configured, 2 * 60_000);
  const before = new Date(ctx.clock().getTime() - outboxAfterMs).toISOString();
  const idle = await ctx.ports.activity.listIdle(before, options.limit ?? 500);
  const report: ReconcileReport = { examined: idle.length, repairs: [], failures: [] };
  for (const entry of idle) {
    try {
      const record = await ctx.ports.requests.get(entry.requestId);
      if (!record) {
        await ctx.ports.activity.remove(entry.requestId);
        report.repairs.push({ requestId: entry.requestId, action: 'missing' });
        continue;
      }
      const queued = record.status === 'queued' || record.status === 'received';
      // Held work is idle on purpose: its messages are parked, and the resume sends them again.
      if (!queued && holdOn(await currentHolds(ctx), record)) {
        report.repairs.push({ requestId: record.id, action: 'waiting', detail: 'held' });
        continue;
      }
      const repair = await repairStuck(ctx, record, entry.progressAt, {
        idleForMs: queued ? outboxAfterMs : staleAfterMs,
      });
      report.repairs.push(repair);
      if (repair.action === 'republished')
        ctx.log('warn', `reconciler: ${repair.requestId}: ${repair.detail}`);
    } catch (err: unknown) {
      report.failures.push({ requestId: entry.requestId, error: ensureError(err).message });
    }
  }
  return report;
}
