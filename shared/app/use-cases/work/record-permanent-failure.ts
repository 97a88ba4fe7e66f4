import { batchLabel } from '../../../domain/batches';
import { countFinalItems, failBatch } from '../../../domain/batch-rollup';
import { workMessageSchema } from '../../../domain/messages';
import { decidePermanentFailure } from '../../../domain/request-lifecycle';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { mutateBatchAndRequest } from '../../effects/mutate-batch';
import { mutateRequest } from '../../effects/mutate-request';

/**
 * A work message failed in a way no redelivery can fix (a corrupt inventory, a manifest gone): the request
 * fails with the reason — or, for a batch, what ran stays counted and the rest of the batch counts as
 * failed — so nothing stays non-terminal. Malformed messages and unknown requests are left alone.
 * @returns whether anything was recorded.
 */
export async function recordPermanentFailure(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
  reason: string,
): Promise<boolean> {
  const parsed = workMessageSchema.safeParse(body);
  if (!parsed.success) return false;
  const message = parsed.data;
  const why = reason.slice(0, 1000);
  if (message.kind === 'migrate-batch') {
    const counts = countFinalItems(await ctx.ports.items.list(message.requestId, message.batchNumber));
    const written = await mutateBatchAndRequest(
      ctx,
      message.requestId,
      message.batchNumber,
      (batch, request) => failBatch(batch, request, counts, why, delivery.functionName),
      { event: `${batchLabel(message.batchNumber)} failed: ${why}` },
    );
    return written !== null;
  }
  let changed = false;
  await mutateRequest(
    ctx,
    message.requestId,
    (current) => {
      const next = decidePermanentFailure(current, why);
      changed = next !== null;
      return next;
    },
    { event: why },
  );
  return changed;
}
