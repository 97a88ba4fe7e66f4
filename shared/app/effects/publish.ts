import { ensureError, TriageError } from '../../domain/errors';
import type { AppContext } from '../context';
import type { OutgoingWorkMessage } from '../ports/publisher';

/** Service Bus takes at most 100 messages in one send of a batch here (and far below its size limit). */
const maxMessagesPerSend = 100;

/**
 * Publishes work messages in sends of at most 100.
 * @throws TriageError `dependency-unavailable` (retryable) when Service Bus does not accept a send; the
 *   sends before it went out (their deterministic messageIds make a re-publish harmless).
 */
export async function publishWork(ctx: AppContext, messages: readonly OutgoingWorkMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += maxMessagesPerSend) {
    try {
      await ctx.ports.publisher.publishWork(messages.slice(start, start + maxMessagesPerSend));
    } catch (err: unknown) {
      throw new TriageError(
        'dependency-unavailable',
        `Service Bus did not accept the message: ${ensureError(err).message}`,
        { cause: err },
      );
    }
  }
}
