import { batchLabel } from '../../domain/batches';
import type { BatchRecord, RequestRecord } from '../../domain/records';
import { assertTransition } from '../../domain/status';
import type { AppContext } from '../context';
import { trackActivity } from './activity';
import { recordEvent } from './history';
import { retryOnConflict } from './retry-on-conflict';

export type BatchAndRequest = { batch: BatchRecord; request: RequestRecord };

export interface MutateBatchOptions {
  /** The message of the status event recorded when the request's status changes. */
  event?: string;
  /** Attempts before giving up; a roll-up contends with every other batch of its request. Default 25. */
  maxAttempts?: number;
}

/**
 * The one way to change a batch: batch and request are read together, `decide` (pure) returns both
 * changed (or null: nothing to change), and both are written in one ETag-checked transaction — a batch's
 * counters and the request's roll-up never disagree. The request's status transition is checked and
 * recorded as for `mutateRequest`.
 * @returns what was written, or null when nothing changed (or batch or request does not exist).
 * @throws TriageError `invalid-transition` for a transition the machine forbids; `concurrency` when they
 *   kept changing.
 */
export async function mutateBatchAndRequest(
  ctx: AppContext,
  requestId: string,
  batchNumber: number,
  decide: (batch: BatchRecord, request: RequestRecord) => BatchAndRequest | null,
  options: MutateBatchOptions = {},
): Promise<BatchAndRequest | null> {
  return retryOnConflict(
    async () => {
      const [batch, request] = await Promise.all([
        ctx.ports.requests.getBatch(requestId, batchNumber),
        ctx.ports.requests.get(requestId),
      ]);
      if (!batch || !request) return null;
      const next = decide(batch, request);
      if (!next) return null;
      if (next.request.status !== request.status) assertTransition(request.status, next.request.status);
      const written = { batch: next.batch, request: { ...next.request, updatedAt: ctx.now() } };
      await ctx.ports.requests.commitBatchAndRequest(written.batch, written.request);
      await trackActivity(ctx, written.request);
      if (written.request.status !== request.status) {
        await recordEvent(ctx, written.request, {
          type: 'status',
          status: written.request.status,
          from: request.status,
          ...(options.event ? { message: options.event } : {}),
        });
      }
      return written;
    },
    {
      what: `${batchLabel(batchNumber)} of ${requestId}`,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    },
  );
}
