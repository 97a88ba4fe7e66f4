import { workKey, type Hold } from '../../../domain/holds';
import type { WorkMessage } from '../../../domain/messages';
import type { RequestRecord } from '../../../domain/records';
import type { AppContext } from '../../context';
import { parkWork } from '../../effects/holds';
import { recordEvent } from '../../effects/history';
import type { WorkResult } from './work-result';

/**
 * Work that is due while its tier or organisation is held: the message is kept to be sent again on resume
 * and the delivery completes; the history says who held it and why. Its long-running operations at the
 * back-end, if any, are not polled meanwhile (the drain report counts them); the resumed message polls them. When the hold was lifted meanwhile,
 * the message is sent again at once (never lost, and idempotent handlers never run an item twice).
 */
export async function parkHeld(
  ctx: AppContext,
  request: Pick<RequestRecord, 'id' | 'orgId' | 'tier' | 'status'>,
  message: WorkMessage,
  hold: Hold,
  /** Long-running operations the back-end runs for this work now (shown in the drain report). */
  operationsInProgress = 0,
): Promise<WorkResult> {
  const batchNumber = message.kind === 'migrate-batch' ? message.batchNumber : undefined;
  const outcome = await parkWork(ctx, {
    key: workKey(request.id, batchNumber),
    requestId: request.id,
    tier: request.tier,
    orgId: request.orgId,
    message,
    ...(operationsInProgress > 0 ? { operationsInProgress } : {}),
  });
  if (outcome === 'sent') return 'rescheduled';
  const what = batchNumber === undefined ? 'provisioning' : `batch ${batchNumber}`;
  await recordEvent(ctx, request, {
    type: 'note',
    message: `${what} held: ${hold.scope} ${hold.target} held by ${hold.heldBy.name} since ${hold.since}: ${hold.reason}`,
  });
  return 'held';
}
