import type { RequestRecord } from '../../domain/records';
import type { AppContext } from '../context';
import type { DeliveryContext } from './delivery';
import { recordEvent } from './history';

/**
 * Refuses a work message Triage will not run (poison, mis-addressed, contradicting its stored request):
 * kept in the dead-letter log with its reason (GET /api/dead-letters), counted in the `poison_messages`
 * metric line, and, when it names a stored request, audited in that request's history. The message is then
 * completed: no redelivery can make it valid. Recording throws when Storage is down, so the message is
 * redelivered and nothing is lost silently.
 */
export async function refuseMessage(
  ctx: AppContext,
  delivery: DeliveryContext,
  body: unknown,
  reason: string,
  request?: { id: string; orgId: string; tier: string; status: RequestRecord['status'] },
): Promise<void> {
  let text: string;
  try {
    text = typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body));
  } catch {
    text = String(body);
  }
  const at = ctx.now();
  await ctx.ports.deadLetters.record({
    messageId: delivery.messageId ?? `unknown-${at}`,
    at,
    source: delivery.functionName,
    reason,
    ...(request ? { requestId: request.id } : {}),
    body: text.slice(0, 2000),
  });
  if (request) await recordEvent(ctx, request, { type: 'note', message: `refused a message: ${reason}` });
  // One line per refusal, in a fixed shape a log-based alert counts (the metric).
  ctx.log(
    'error',
    `[metric] poison_messages=1 source=${delivery.functionName} reason="${reason.slice(0, 300)}"`,
  );
}
