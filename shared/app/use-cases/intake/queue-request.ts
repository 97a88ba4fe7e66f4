import { messageIds } from '../../../domain/batches';
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
  await publishWork(ctx, [{ message: requestMessage(saved), messageId: messageIds.request(saved.id) }]);
  return saved;
}
