import { poisonReason } from '../../../domain/message-truth';
import { schemaVersion, workMessageSchema } from '../../../domain/messages';
import type { AppContext } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { refuseMessage } from '../../effects/refuse-message';
import { flagDeadLettered, type DeadLetterRecording } from './record-dead-letter';

/** What Service Bus says about a dead-lettered message. */
export interface DeadLetterFacts {
  reason?: string;
  description?: string;
}

/**
 * The dead-letter Function: every message Service Bus dead-lettered from a work subscription is recorded,
 * so a failure to record it at its last delivery is never final — a work message flags its request (or
 * batch) as dead-lettered (visible, replayable by retry; idempotent), anything else goes to the dead-letter
 * log. The dead-letter message is then completed: the record is the truth from here on.
 * @returns what recording did (`logged` for a message that is not work).
 * @throws when Storage is down: the message stays in the dead-letter queue and is delivered again.
 */
export async function handleDeadLettered(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
  facts: DeadLetterFacts,
): Promise<DeadLetterRecording | 'logged'> {
  const why = `dead-lettered by Service Bus (${facts.reason ?? 'no reason given'}${facts.description ? `: ${facts.description.slice(0, 500)}` : ''})`;
  const parsed = workMessageSchema.safeParse(body);
  if (!parsed.success) {
    await refuseMessage(ctx, delivery, body, `${why}; poison: ${poisonReason(body, schemaVersion)}`);
    return 'logged';
  }
  return flagDeadLettered(ctx, parsed.data, why);
}
