import { messageIds } from '../../domain/batches';
import { successorMessageId } from '../../domain/back-off';
import type { WorkMessage } from '../../domain/messages';
import type { AppContext } from '../context';
import type { DeliveryContext } from './delivery';
import { publishWork } from './publish';

/** When the successor is delivered, and why: the chain's next attempt after a transient failure, or a wait. */
export type Successor =
  | { at: Date; retry: { attempt: number; firstAttemptAt: Date } }
  /** Waited too long for execution slots: the same attempt carries on later (nothing failed). */
  | { at: Date; wait: true }
  /**
   * Long-running operations are in progress at the back-end: the same attempt reads their status later, with
   * a fresh back-off window (the chain made progress: a later failure gets its whole retry time again).
   */
  | { at: Date; poll: true };

/**
 * The one way work is carried on later: the same message published again, held by Service Bus until `at`,
 * under a messageId derived from the incoming one (a redelivery schedules the same successor, which duplicate
 * detection drops). A retry carries its attempt number and the chain's first attempt in its body; a wait
 * keeps both, so waiting for slots neither counts as an executor attempt nor spends the back-off's time.
 * The work's progress lives in storage: the successor runs only what is not final.
 * @throws TriageError `dependency-unavailable` when Service Bus does not take it (the delivery is retried).
 */
export async function scheduleSuccessor(
  ctx: AppContext,
  message: WorkMessage,
  delivery: DeliveryContext,
  successor: Successor,
): Promise<void> {
  const incoming = delivery.messageId ?? fallbackMessageId(message);
  const next =
    'retry' in successor
      ? {
          message: {
            ...message,
            attempt: successor.retry.attempt,
            firstAttemptAt: successor.retry.firstAttemptAt.toISOString(),
          },
          messageId: successorMessageId(incoming, { retry: successor.retry.attempt }),
        }
      : 'poll' in successor
        ? { message: withoutBackOffWindow(message), messageId: successorMessageId(incoming, 'poll') }
        : { message, messageId: successorMessageId(incoming, 'wait') };
  await publishWork(ctx, [{ ...next, scheduledFor: successor.at }]);
}

/** The message with its chain's first-attempt time dropped (the next failure starts a new window). */
function withoutBackOffWindow(message: WorkMessage): WorkMessage {
  const { firstAttemptAt: _dropped, ...rest } = message;
  return rest;
}

/** A delivery without a messageId (only hand-built ones): the id the work was first published with. */
function fallbackMessageId(message: WorkMessage): string {
  return message.kind === 'migrate-batch'
    ? messageIds.batch(message.requestId, message.batchNumber)
    : messageIds.request(message.requestId);
}
