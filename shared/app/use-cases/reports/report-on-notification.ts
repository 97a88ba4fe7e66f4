import { requestNotificationSchema } from '../../../domain/notification-schema';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { writeReport, type ReportResult } from './write-report';

/**
 * One notification from the `reports` subscription: a request that finished gets its report. Others
 * (and malformed bodies, logged) are ignored. A storage failure throws, so Service Bus redelivers.
 */
export async function reportOnNotification(
  ctx: AppContext,
  body: unknown,
): Promise<ReportResult | 'ignored'> {
  const parsed = requestNotificationSchema.safeParse(body);
  if (!parsed.success) {
    ctx.log('error', `write-reports: not a notification: ${parsed.error.message.slice(0, 500)}`);
    return 'ignored';
  }
  if (!isTerminal(parsed.data.status)) return 'ignored';
  return writeReport(ctx, parsed.data.requestId);
}
