import { decideRetry } from '../../../domain/back-off';
import { ensureError, isRetryable, isTriageError } from '../../../domain/errors';
import { isLastDelivery } from '../../../domain/delivery';
import { workMessageSchema, type WorkMessage } from '../../../domain/messages';
import type { AppContext, Logger } from '../../context';
import { noteChainAttempt } from '../../effects/attempt-chain';
import type { DeliveryContext } from '../../effects/delivery';
import { transientFailure } from '../../effects/delivery';
import { scheduleSuccessor } from '../../effects/successor';
import { processWork } from './process-work';
import { recordDeadLetter } from './record-dead-letter';
import { recordExhausted } from './record-exhausted';
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
 * - a transient error: a successor message is scheduled with back-off and jitter (its attempt number and
 *   the chain's first attempt travel in its body, its messageId derives from this one's) and this message
 *   completes; once the chain has tried for the configured total time, what is left is recorded as given up
 *   (failed and dead-lettered, replayable by retry) and the message completes;
 * - only when even that is impossible (Service Bus refuses the successor, Storage refuses the record) is the
 *   error thrown, so Service Bus redelivers at once, and after its last delivery dead-letters the message
 *   (recorded here first, best effort, and by the dead-letter Function in any case).
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
    try {
      if (!retryable) {
        await recordPermanentFailure(ctx, body, delivery, error.message);
        return 'failed';
      }
      const parsed = workMessageSchema.safeParse(body);
      if (parsed.success) return await backOff(ctx, parsed.data, delivery, error.message, log);
    } catch (handlingErr: unknown) {
      const why = ensureError(handlingErr).message;
      log('warn', `${functionName}: failure not handled yet (${why}): Service Bus redelivers`);
      await recordIfLast(ctx, body, delivery, `${error.message}; then: ${why}`, log);
      throw retryable ? error : transientFailure(`permanent failure not recorded yet: ${why}`);
    }
    await recordIfLast(ctx, body, delivery, error.message, log);
    throw error;
  }
}

/** A transient failure: schedule the successor, or record the chain as given up when its time is over. */
async function backOff(
  ctx: AppContext,
  message: WorkMessage,
  delivery: DeliveryContext,
  reason: string,
  log: Logger,
): Promise<WorkResult> {
  const now = ctx.clock();
  const attempt = message.attempt ?? 1;
  const firstAttemptAt = message.firstAttemptAt ? new Date(message.firstAttemptAt) : now;
  const decision = decideRetry(ctx.settings.retry, { attempt, firstAttemptAt }, now, ctx.random());
  if (!decision.retry) {
    await recordExhausted(ctx, message, delivery, {
      attempts: attempt,
      reason: `transient failures for ${Math.round(decision.triedForMs / 1000)} s (${attempt} attempt(s)): ${reason}`,
    });
    return 'gave-up';
  }
  await scheduleSuccessor(ctx, message, delivery, {
    at: decision.at,
    retry: { attempt: decision.attempt, firstAttemptAt },
  });
  await noteChainAttempt(ctx, message, decision.attempt);
  log(
    'info',
    `${delivery.functionName}: attempt ${decision.attempt} of ${message.requestId} scheduled in ${decision.delayMs} ms`,
  );
  return 'retry-scheduled';
}

/** The last delivery before Service Bus dead-letters the message: record it (best effort; the dead-letter Function also does). */
async function recordIfLast(
  ctx: AppContext,
  body: unknown,
  delivery: DeliveryContext,
  reason: string,
  log: Logger,
): Promise<void> {
  if (!isLastDelivery(delivery)) return;
  try {
    const recorded = await recordDeadLetter(ctx, body, delivery, reason);
    log(
      'warn',
      `${delivery.functionName}: dead-lettering after delivery ${delivery.deliveryCount}: ${recorded}`,
    );
  } catch (recordErr: unknown) {
    const why = isTriageError(recordErr) ? recordErr.message : ensureError(recordErr).message;
    log('error', `${delivery.functionName}: dead-letter not recorded on the request: ${why}`);
  }
}
