import { messageIds } from '../../../domain/batches';
import { TriageError } from '../../../domain/errors';
import type { Principal } from '../../../domain/identity/principal';
import { batchMessage, requestMessage } from '../../../domain/messages';
import {
  decideRequeue,
  isRetryableOutcome,
  itemsToRetry,
  needsReopening,
  reopenBatch,
} from '../../../domain/retry-plan';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { isSettled } from '../../effects/activity';
import { recordEvent } from '../../effects/history';
import { repairStuck } from '../../effects/repair';
import { mutateBatchAndRequest } from '../../effects/mutate-batch';
import { mutateExistingRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';
import { toRequestView, type RequestView } from '../../views/request-view';
import { visibleRequest } from '../../views/visible-request';
import { replayDeadLettered } from './replay-dead-lettered';

/**
 * POST /api/requests/{id}/retry — re-queues what failed (a failed provisioning; a migration's batches
 * with failed items), replays what was dead-lettered while the request is not finished, and repairs a
 * request stuck in any other non-terminal state (re-publishes its lost or never-published messages).
 * Audited with the caller once something was re-queued, replayed or repaired.
 * @throws TriageError `not-found` (also for a request the caller may not act on); `invalid-transition`
 *   when there is nothing to retry; `dependency-unavailable` when Service Bus does not accept the messages.
 */
export async function retryRequest(ctx: AppContext, caller: Principal, id: unknown): Promise<RequestView> {
  const record = await visibleRequest(ctx, caller, 'requests:retry', id);
  const requestId = record.id;
  const audit = (detail: string) =>
    recordAudit(ctx, caller, 'requests:retry', { orgId: record.orgId, target: requestId, detail });
  if (!isTerminal(record.status) || !isSettled(record)) {
    const replayed = await replayDeadLettered(ctx, record);
    if (replayed) {
      await audit('replayed dead-lettered messages');
      return toRequestView(ctx, replayed, { detail: true });
    }
    // Stuck without a dead-letter (a message lost, an intake never published): repair it now.
    // Idle for a minute (or never published) is stuck enough for an operator; fresher work is left alone.
    const idleForMs = record.unpublished ? 0 : Math.min(ctx.settings.staleAfterMs, 60_000);
    const repair = await repairStuck(ctx, record, record.updatedAt, { idleForMs, force: true });
    if (repair.action === 'republished') {
      await audit('re-published lost messages');
      return toRequestView(ctx, (await ctx.ports.requests.get(requestId)) ?? record, { detail: true });
    }
  }
  if (!isRetryableOutcome(record)) {
    throw new TriageError(
      'invalid-transition',
      isTerminal(record.status)
        ? `only failed or completed-with-errors requests can be retried (this one is ${record.status})`
        : `nothing to retry: the request is ${record.status}, made progress in the last minute and none of its messages is dead-lettered`,
    );
  }
  const retryCount = record.retryCount + 1;
  if (record.kind === 'provision' || record.batchCount === undefined) {
    const saved = await mutateExistingRequest(ctx, requestId, (c) => decideRequeue(c, retryCount), {
      event: 'retry requested',
    });
    await publishWork(ctx, [
      { message: requestMessage(saved), messageId: messageIds.retry(requestId, retryCount) },
    ]);
    await audit('re-queued the request');
    return toRequestView(ctx, saved, { detail: true });
  }

  // Migration: re-open each batch with failures, undoing its roll-up in the same transaction.
  const reopened: number[] = [];
  for (const batch of await ctx.ports.requests.listBatches(requestId)) {
    if (!needsReopening(batch)) continue;
    const items = await ctx.ports.items.list(requestId, batch.batchNumber);
    await ctx.ports.items.write(requestId, batch.batchNumber, itemsToRetry(items, ctx.now()));
    const written = await mutateBatchAndRequest(
      ctx,
      requestId,
      batch.batchNumber,
      (b, r) => reopenBatch(b, r, retryCount),
      { event: 'retry requested' },
    );
    if (written) reopened.push(batch.batchNumber);
  }
  const saved = (await ctx.ports.requests.get(requestId)) ?? record;
  if (reopened.length > 0) {
    await recordEvent(ctx, saved, { type: 'retry', message: `retry of ${reopened.length} batch(es)` });
    await publishWork(
      ctx,
      reopened.map((batchNumber) => ({
        message: batchMessage(saved, batchNumber),
        messageId: messageIds.retry(requestId, retryCount, batchNumber),
      })),
    );
    await audit(`re-opened ${reopened.length} batch(es)`);
  }
  return toRequestView(ctx, saved, { detail: true });
}
