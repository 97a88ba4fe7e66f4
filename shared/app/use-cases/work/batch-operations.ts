/**
 * Long-running mailbox moves inside a batch: an item the back-end answered `202 Accepted` for is stored
 * `in-progress` with its operation, and each delivery of the batch polls the operations that are due. A
 * delivery that leaves operations open completes and schedules the next poll (no invocation is held while a
 * move runs for hours); the batch completes when its last operation has ended.
 */
import { batchLabel } from '../../../domain/batches';
import { ensureError } from '../../../domain/errors';
import { earliestPoll, isPollDue, startOperation, type PendingOperation } from '../../../domain/long-running';
import type { MailboxEntry } from '../../../domain/inventory';
import { mapLimit } from '../../../domain/map-limit';
import type { MigrateBatchMessage } from '../../../domain/messages';
import type { ItemRecord, RequestRecord } from '../../../domain/records';
import type { AppContext } from '../../context';
import { trackActivity } from '../../effects/activity';
import type { DeliveryContext } from '../../effects/delivery';
import { operationPolicy, pollLater, pollOperation } from '../../effects/operations';
import { retryOnConflict } from '../../effects/retry-on-conflict';
import type { ExecutionOutcome, ExecutionTask } from '../../ports/executor';
import { settleCancelled } from './complete-batch';
import type { WorkResult } from './work-result';

/** What the executor is asked to do for one mailbox of a batch (the same task for a start and its polls). */
export function itemTask(
  request: RequestRecord,
  batchNumber: number,
  index: number,
  entry: MailboxEntry,
  attempt: number,
): ExecutionTask {
  return {
    kind: 'migrate-mailbox',
    requestId: request.id,
    orgId: request.orgId,
    tier: request.tier,
    itemId: `${batchLabel(batchNumber)}:${index}`,
    idempotencyKey: `${request.id}:${batchNumber}:${index}`,
    payload: {
      address: entry.address,
      ...(entry.sizeBytes !== undefined ? { sizeBytes: entry.sizeBytes } : {}),
    },
    attempt,
  };
}

/**
 * The item row an executor call's outcome gives: final, or `in-progress` with its operation (its deadline
 * from now). Undefined for a transient failure: nothing final to record, the item is tried again.
 */
export function itemRecordFor(
  ctx: AppContext,
  entry: { index: number; address: string; attempt: number },
  outcome: ExecutionOutcome,
): ItemRecord | undefined {
  const base = { index: entry.index, address: entry.address, attempts: entry.attempt, at: ctx.now() };
  if (outcome.ok === 'in-progress') {
    const operation = startOperation(
      operationPolicy(ctx),
      outcome.operationUrl,
      outcome.retryAfterMs,
      ctx.clock(),
    );
    return {
      ...base,
      status: 'in-progress',
      operation,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    };
  }
  if (outcome.ok)
    return { ...base, status: 'succeeded', ...(outcome.detail ? { detail: outcome.detail } : {}) };
  if (outcome.retryable) return undefined;
  return { ...base, status: 'failed', reason: outcome.reason };
}

/**
 * Polls the in-progress items whose poll is due (as many at once as the batch's item concurrency; a poll
 * needs no execution slot: it starts nothing) and writes what changed: ended operations become final, open
 * ones get their next poll time (and the last problem reading them, if any).
 * @returns the operations still open, due or not.
 */
export async function pollBatchItems(
  ctx: AppContext,
  request: RequestRecord,
  batchNumber: number,
  manifest: readonly MailboxEntry[],
  inProgress: readonly ItemRecord[],
): Promise<PendingOperation[]> {
  const now = ctx.clock();
  const open: PendingOperation[] = [];
  const due: Array<ItemRecord & { operation: PendingOperation }> = [];
  for (const item of inProgress) {
    if (!item.operation) continue;
    if (isPollDue(item.operation, now)) due.push({ ...item, operation: item.operation });
    else open.push(item.operation);
  }
  if (due.length === 0) return open;
  const updates = await mapLimit(due, ctx.settings.itemConcurrency, async (item) => {
    const entry = manifest[item.index] ?? { address: item.address };
    const task = itemTask(request, batchNumber, item.index, entry, item.attempts);
    const step = await pollOperation(ctx, task, item.operation);
    const at = ctx.now();
    if ('pending' in step) {
      open.push(step.pending);
      const { reason: _previous, ...rest } = item;
      return { ...rest, operation: step.pending, ...(step.problem ? { reason: step.problem } : {}) };
    }
    // What the start said ("in progress") and the last poll's problem are no longer true.
    const { operation: _ended, reason: _stale, detail: _started, ...rest } = item;
    return step.ended.ok
      ? {
          ...rest,
          status: 'succeeded' as const,
          at,
          ...(step.ended.detail ? { detail: step.ended.detail } : {}),
        }
      : { ...rest, status: 'failed' as const, at, reason: step.ended.reason };
  });
  await ctx.ports.items.write(request.id, batchNumber, updates);
  return open;
}

/**
 * Ends a delivery that leaves long-running operations open: counts them on the batch (the request view
 * shows them) and schedules the next poll. The delivery has recorded its heartbeat for the reconciler.
 * @throws TriageError `dependency-unavailable` when Service Bus does not take the poll (the delivery is retried).
 */
export async function awaitOperations(
  ctx: AppContext,
  request: RequestRecord,
  message: MigrateBatchMessage,
  delivery: DeliveryContext,
  open: readonly PendingOperation[],
): Promise<WorkResult> {
  const at = earliestPoll(open) ?? ctx.clock();
  await pollLater(ctx, message, delivery, at);
  await countInProgress(ctx, request.id, message.batchNumber, open.length);
  return 'in-progress';
}

/**
 * Keeps the batch's count of open operations in step (best effort: it only feeds the view).
 */
export async function countInProgress(
  ctx: AppContext,
  requestId: string,
  batchNumber: number,
  count: number,
): Promise<void> {
  try {
    await retryOnConflict(
      async () => {
        const batch = await ctx.ports.requests.getBatch(requestId, batchNumber);
        if (!batch || batch.status === 'completed' || batch.status === 'cancelled') return;
        if ((batch.inProgress ?? 0) === count) return;
        await ctx.ports.requests.updateBatch({ ...batch, inProgress: count });
      },
      { what: `${batchLabel(batchNumber)} of ${requestId}`, maxAttempts: 5 },
    );
  } catch (err: unknown) {
    ctx.log(
      'warn',
      `in-progress count of ${batchLabel(batchNumber)} of ${requestId} not kept: ${ensureError(err).message}`,
    );
  }
}

/**
 * A batch of a cancelled request: nothing new starts, but moves the back-end is running are polled to their
 * end (a mailbox half-moved must not be reported as never run); the batch settles once none is open.
 */
export async function finishCancelledBatch(
  ctx: AppContext,
  request: RequestRecord,
  message: MigrateBatchMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const items = await ctx.ports.items.list(request.id, message.batchNumber);
  const inProgress = items.filter((item) => item.status === 'in-progress');
  if (inProgress.length > 0) {
    const manifest = await ctx.ports.artifacts.readBatchManifest(request.id, message.batchNumber);
    const open = await pollBatchItems(ctx, request, message.batchNumber, manifest, inProgress);
    if (open.length > 0) {
      // A heartbeat for the reconciler: a cancelled batch polling its moves is not stuck.
      await trackActivity(ctx, request);
      return awaitOperations(ctx, request, message, delivery, open);
    }
  }
  return settleCancelled(ctx, request.id, message.batchNumber, delivery);
}
