import { batchLabel } from '../../../domain/batches';
import { countFinalItems, rollUpBatch, settleCancelledBatch } from '../../../domain/batch-rollup';
import type { AppContext } from '../../context';
import { transientFailure, type DeliveryContext } from '../../effects/delivery';
import { mutateBatchAndRequest } from '../../effects/mutate-batch';
import { ensureError } from '../../../domain/errors';
import { recordActual } from '../../effects/programme-waves';
import type { WorkResult } from './work-result';

/** Every batch of a request rolls up into the one request entity: allow more collisions than elsewhere. */
const rollUpAttempts = 100;

/**
 * Completes a batch whose items are all final: its counters and the request's roll-up commit in one
 * ETag-checked transaction, and the request takes its final status with its last batch.
 * @throws TriageError (retryable) when some item is not final yet; `concurrency` when the roll-up kept conflicting.
 */
export async function completeBatch(
  ctx: AppContext,
  requestId: string,
  batchNumber: number,
  total: number,
  delivery: DeliveryContext,
  deadLetterReason?: string,
): Promise<WorkResult> {
  const counts = countFinalItems(await ctx.ports.items.list(requestId, batchNumber));
  if (counts.succeeded + counts.failed < total) {
    throw transientFailure(
      `${batchLabel(batchNumber)}: ${total - counts.succeeded - counts.failed} item(s) not final`,
    );
  }
  let duplicate = false;
  const written = await mutateBatchAndRequest(
    ctx,
    requestId,
    batchNumber,
    (batch, request) => {
      const next = rollUpBatch(batch, request, {
        ...counts,
        functionName: delivery.functionName,
        ...(deadLetterReason ? { deadLetterReason } : {}),
      });
      duplicate = next === null;
      return next;
    },
    { event: `${batchLabel(batchNumber)} completed`, maxAttempts: rollUpAttempts },
  );
  if (written?.request.programme) {
    // Plan versus actual; best effort: a failure here is logged, the batch's own counts stay exact.
    await recordActual(ctx, written.request.tier, counts).catch((err: unknown) =>
      ctx.log(
        'warn',
        `actuals of ${batchLabel(batchNumber)} of ${requestId} not recorded: ${ensureError(err).message}`,
      ),
    );
  }
  if (written) return 'batch-completed';
  return duplicate ? 'duplicate' : 'rejected';
}

/**
 * Settles a batch of a cancelled request with what ran (its in-flight items have finished): the request's
 * counts stay exact and, once every batch is settled, nothing of it is left open.
 */
export async function settleCancelled(
  ctx: AppContext,
  requestId: string,
  batchNumber: number,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const counts = countFinalItems(await ctx.ports.items.list(requestId, batchNumber));
  await mutateBatchAndRequest(
    ctx,
    requestId,
    batchNumber,
    (batch, request) => settleCancelledBatch(batch, request, counts, delivery.functionName),
    { maxAttempts: rollUpAttempts },
  );
  return 'cancelled';
}
