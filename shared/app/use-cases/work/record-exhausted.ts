import { batchLabel } from '../../../domain/batches';
import { executorAttempt } from '../../../domain/back-off';
import type { WorkMessage } from '../../../domain/messages';
import type { ItemRecord } from '../../../domain/records';
import { decideProvisionOutcome } from '../../../domain/request-lifecycle';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { recordEvent } from '../../effects/history';
import { mutateRequest } from '../../effects/mutate-request';
import { decideAndApply } from '../../effects/pool-requests';
import { completeBatch } from './complete-batch';
import { flagDeadLettered } from './record-dead-letter';

/**
 * A chain of attempts that tried for its whole time: what is left is recorded so nothing stays
 * non-terminal — a batch's items not final become failed (with the reason and their attempts) and the
 * batch completes flagged dead-lettered; a provisioning fails dead-lettered; a planning is flagged
 * dead-lettered (its outcome is unknown, not failed). Each is visible on the request and replayed by retry.
 * Idempotent: a second call finds nothing left to record.
 */
export async function recordExhausted(
  ctx: AppContext,
  message: WorkMessage,
  delivery: DeliveryContext,
  given: { attempts: number; reason: string },
): Promise<void> {
  const reason = given.reason.slice(0, 1000);
  if (message.kind === 'migrate-batch') {
    const { requestId, batchNumber } = message;
    const [mailboxes, items] = await Promise.all([
      ctx.ports.artifacts.readBatchManifest(requestId, batchNumber),
      ctx.ports.items.list(requestId, batchNumber),
    ]);
    const byIndex = new Map(items.map((item) => [item.index, item]));
    const left: ItemRecord[] = [];
    mailboxes.forEach((m, index) => {
      const item = byIndex.get(index);
      if (item && item.status !== 'retry' && item.status !== 'in-progress') return;
      // A move still running at the back-end is given up too (its outcome unknown); retry starts it again
      // under the same idempotency key, so the back-end answers for it instead of moving it twice.
      const running = item?.status === 'in-progress' ? ` (its operation was still in progress)` : '';
      left.push({
        index,
        address: m.address,
        status: 'failed',
        attempts:
          item?.status === 'in-progress' ? item.attempts : executorAttempt(item?.attempts, given.attempts),
        reason: `${reason}${running}`.slice(0, 1000),
        at: ctx.now(),
      });
    });
    if (left.length > 0) await ctx.ports.items.write(requestId, batchNumber, left);
    const result = await completeBatch(ctx, requestId, batchNumber, mailboxes.length, delivery, reason);
    if (result === 'batch-completed') {
      const request = await ctx.ports.requests.get(requestId);
      if (request) {
        await recordEvent(ctx, request, {
          type: 'dead-letter',
          message: `${batchLabel(batchNumber)}: ${left.length} item(s) given up after ${reason}`,
        });
      }
    }
    return;
  }
  if (message.kind === 'provision') {
    const saved = await mutateRequest(
      ctx,
      message.requestId,
      (current) =>
        decideProvisionOutcome(
          current,
          { ok: false, reason, deadLettered: true, attempts: given.attempts },
          delivery.functionName,
        ),
      { event: reason },
    );
    if (saved?.deadLettered)
      await recordEvent(ctx, saved, { type: 'dead-letter', message: `given up: ${reason}` });
    // Given up holds nothing: its capacity goes back to its pool, if it has one.
    const resource = saved?.resource ?? message.resource;
    const poolId = await ctx.ports.pools.findByResource(resource.type, resource.region);
    if (poolId) await decideAndApply(ctx, poolId, { remove: message.requestId });
    return;
  }
  await flagDeadLettered(ctx, message, `given up: ${reason}`);
}
