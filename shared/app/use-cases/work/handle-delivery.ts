import { ensureError, isRetryable, isTriageError } from '../../../domain/errors';
import { isLastDelivery } from '../../../domain/delivery';
import type { AppContext, Logger } from '../../context';
import type { DeliveryContext } from '../../effects/delivery';
import { transientFailure } from '../../effects/delivery';
import { processWork } from './process-work';
import { recordDeadLetter } from './record-dead-letter';
import { recordPermanentFailure } from './record-permanent-failure';
import type { WorkResult } from './work-result';

export interface DeliveryOptions {
  /** Where this delivery's log lines go (the invocation's log); the app's logger by default. */
  log?: Logger;
}

/**
 * The one delivery protocol of the tier Functions (and of every test that drives them):
 * - success: the result is returned and the message completes;
 * - a permanent error: recorded as failed on the request (or batch), then the message completes — no
 *   retry loop; if recording itself fails, the error is thrown as transient so it is tried again;
 * - a transient error: thrown, so Service Bus redelivers; on the last delivery the dead-letter is first
 *   recorded on the request (unless the use-case already did), best effort — a failure to record is
 *   logged and never replaces the original error.
 * @throws the transient error, for the caller to let Service Bus abandon (and at last dead-letter) the message.
 */
export async function handleDelivery(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
  options: DeliveryOptions = {},
): Promise<WorkResult> {
  const log = options.log ?? ctx.log;
  const { functionName, deliveryCount, maxDeliveryCount } = delivery;
  try {
    return await processWork(ctx, body, delivery);
  } catch (err: unknown) {
    const error = ensureError(err);
    const retryable = isRetryable(err);
    log(
      'warn',
      `${functionName}: delivery ${deliveryCount}/${maxDeliveryCount} failed (${retryable ? 'transient' : 'permanent'}): ${error.message}`,
    );
    if (!retryable) {
      try {
        await recordPermanentFailure(ctx, body, delivery, error.message);
      } catch (recordErr: unknown) {
        throw transientFailure(`permanent failure not recorded yet: ${ensureError(recordErr).message}`);
      }
      return 'failed';
    }
    if (isLastDelivery(delivery) && !(isTriageError(err) && err.deadLetterRecorded)) {
      try {
        const recorded = await recordDeadLetter(ctx, body, delivery, error.message);
        log('warn', `${functionName}: dead-lettering after delivery ${deliveryCount}: ${recorded}`);
      } catch (recordErr: unknown) {
        log(
          'error',
          `${functionName}: dead-letter not recorded on the request: ${ensureError(recordErr).message}`,
        );
      }
    }
    throw error;
  }
}
