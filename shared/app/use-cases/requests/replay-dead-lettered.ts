import { batchLabel, messageIds } from '../../../domain/batches';
import { ensureError } from '../../../domain/errors';
import { batchMessage, requestMessage } from '../../../domain/messages';
import type { RequestRecord } from '../../../domain/records';
import {
  clearBatchDeadLetter,
  clearOwnDeadLetter,
  needsReplay,
  restoreBatchDeadLetter,
  restoreOwnDeadLetter,
} from '../../../domain/retry-plan';
import type { AppContext } from '../../context';
import { recordEvent } from '../../effects/history';
import { mutateBatchAndRequest } from '../../effects/mutate-batch';
import { mutateRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';
import type { OutgoingWorkMessage } from '../../ports/publisher';

interface ReplayedBatch {
  batchNumber: number;
  lastError?: string;
}

/**
 * Replays the messages of an unfinished request that were dead-lettered for a reason other than the
 * executor: the request's own message (a provisioning, or a migration's planning) when its `reason` is
 * set, and each dead-lettered batch that is not completed. Each goes out with a new deterministic
 * messageId (`messageIds.retry`) so duplicate detection does not drop it; `retryCount` is bumped first,
 * so a replayed delivery's executor attempts do not repeat earlier ones. Clearing a flag is the claim
 * (ETag-checked): two concurrent retries do not replay twice. A publish that fails puts the flags back.
 * @returns the request after the replay, or null when nothing was dead-lettered.
 * @throws TriageError `dependency-unavailable` when Service Bus does not accept the messages.
 */
export async function replayDeadLettered(
  ctx: AppContext,
  record: RequestRecord,
): Promise<RequestRecord | null> {
  const requestId = record.id;
  const retryCount = record.retryCount + 1;
  const outgoing: OutgoingWorkMessage[] = [];
  let ownReason: string | undefined;

  if (record.deadLettered && record.reason !== undefined) {
    const cleared = await mutateRequest(
      ctx,
      requestId,
      (current) => {
        const next = clearOwnDeadLetter(current, retryCount);
        ownReason = next ? current.reason : undefined;
        return next;
      },
      { known: record },
    );
    if (ownReason !== undefined && cleared) {
      outgoing.push({ message: requestMessage(cleared), messageId: messageIds.retry(requestId, retryCount) });
    }
  }

  const replayed: ReplayedBatch[] = [];
  if (record.kind === 'migrate' && record.batchCount !== undefined) {
    for (const batch of await ctx.ports.requests.listBatches(requestId)) {
      if (!needsReplay(batch)) continue;
      const written = await mutateBatchAndRequest(ctx, requestId, batch.batchNumber, (b, r) =>
        clearBatchDeadLetter(b, r, retryCount),
      );
      if (!written) continue;
      replayed.push({
        batchNumber: batch.batchNumber,
        ...(batch.lastError !== undefined ? { lastError: batch.lastError } : {}),
      });
      outgoing.push({
        message: batchMessage(written.request, batch.batchNumber),
        messageId: messageIds.retry(requestId, retryCount, batch.batchNumber),
      });
    }
  }
  if (outgoing.length === 0) return null;

  const current = (await ctx.ports.requests.get(requestId)) ?? record;
  try {
    await publishWork(ctx, outgoing);
  } catch (err: unknown) {
    // Nothing (or not everything) went out: flag it again so it stays visible and a later retry replays it.
    await restoreDeadLetters(ctx, requestId, ownReason, replayed).catch((restoreErr: unknown) => {
      ctx.log('error', `retry of ${requestId}: flags not restored: ${ensureError(restoreErr).message}`);
    });
    throw err;
  }
  const what = [
    ...(ownReason !== undefined ? [`the ${record.kind} message`] : []),
    ...(replayed.length > 0 ? [replayed.map((b) => batchLabel(b.batchNumber)).join(', ')] : []),
  ].join(' and ');
  await recordEvent(ctx, current, { type: 'retry', message: `replayed dead-lettered ${what}` });
  return current;
}

async function restoreDeadLetters(
  ctx: AppContext,
  requestId: string,
  ownReason: string | undefined,
  batches: readonly ReplayedBatch[],
): Promise<void> {
  for (const { batchNumber, lastError } of batches) {
    await mutateBatchAndRequest(ctx, requestId, batchNumber, (b, r) =>
      restoreBatchDeadLetter(b, r, lastError),
    );
  }
  await mutateRequest(ctx, requestId, (current) => restoreOwnDeadLetter(current, ownReason));
}
