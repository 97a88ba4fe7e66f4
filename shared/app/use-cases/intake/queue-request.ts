import { messageIds } from '../../../domain/batches';
import { ensureError } from '../../../domain/errors';
import { requestMessage } from '../../../domain/messages';
import type { RequestRecord } from '../../../domain/records';
import { decideQueue } from '../../../domain/request-lifecycle';
import type { AppContext } from '../../context';
import { mutateRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';

/**
 * Moves a received request to queued, then publishes it. Queued first, so a worker that picks the message
 * up at once always finds it queued (the history reads received → queued → running).
 * @throws TriageError `dependency-unavailable` when Service Bus does not accept the message.
 */
export async function queueRequest(ctx: AppContext, record: RequestRecord): Promise<RequestRecord> {
  const saved = (await mutateRequest(ctx, record.id, decideQueue, { known: record })) ?? record;
  await publishOrMark(ctx, saved, messageIds.request(saved.id));
  return saved;
}

/**
 * Publishes a stored request's message; when Service Bus refuses it, marks the request `unpublished` (the
 * outbox the reconciler finishes) before the caller gets its 503. The mark is best effort: without it the
 * reconciler still re-publishes a queued request it finds idle, under the same messageId, within the
 * duplicate-detection window.
 * @throws TriageError `dependency-unavailable` when Service Bus does not accept the message.
 */
export async function publishOrMark(
  ctx: AppContext,
  record: RequestRecord,
  messageId: string,
): Promise<void> {
  try {
    await publishWork(ctx, [{ message: requestMessage(record), messageId }]);
  } catch (err: unknown) {
    await mutateRequest(ctx, record.id, (current) =>
      current.unpublished ? null : { ...current, unpublished: true },
    ).catch((markErr: unknown) => {
      ctx.log('warn', `${record.id} not marked unpublished: ${ensureError(markErr).message}`);
    });
    throw err;
  }
}
