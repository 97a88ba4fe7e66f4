/**
 * The history of a request (append-only events) and the notifications published from it. An event is
 * stored first; publishing it never holds up the caller, and a failed publish leaves the event marked
 * unpublished in the history — visible, never silently lost.
 */
import { ensureError } from '../../domain/errors';
import { schemaVersion, type StatusNotification } from '../../domain/messages';
import type { RequestEvent, RequestRecord } from '../../domain/records';
import type { AppContext } from '../context';

type RequestRef = Pick<RequestRecord, 'id' | 'orgId' | 'tier'>;
export type NewEvent = Omit<RequestEvent, 'eventId' | 'published' | 'requestId' | 'at'>;

/** Appends one event to the request's history (now), then notifies in the background. */
export async function recordEvent(ctx: AppContext, request: RequestRef, event: NewEvent): Promise<void> {
  const stored = await ctx.ports.events.append({ ...event, requestId: request.id, at: ctx.now() });
  notify(ctx, request, stored);
}

/** Publishes a stored status event as a notification, in the background. Other events are history only. */
export function notify(ctx: AppContext, request: RequestRef, stored: RequestEvent): void {
  if (stored.type !== 'status' || !stored.status) return;
  const notification: StatusNotification = {
    schemaVersion,
    kind: 'status-changed',
    requestId: request.id,
    orgId: request.orgId,
    tier: request.tier,
    status: stored.status,
    at: stored.at,
    eventId: stored.eventId,
  };
  const publishing = ctx.ports.publisher
    .publishNotification(notification)
    .then(() => ctx.ports.events.markPublished(request.id, stored.eventId))
    .catch((err: unknown) => {
      ctx.log(
        'warn',
        `notification for ${request.id} (${notification.status}) not published: ${ensureError(err).message}`,
      );
    })
    .finally(() => ctx.inFlightNotifications.delete(publishing));
  ctx.inFlightNotifications.add(publishing);
}

/** Resolves when every notification started so far has been published or given up on (tests, shutdown). */
export async function flushNotifications(ctx: AppContext): Promise<void> {
  while (ctx.inFlightNotifications.size > 0) await Promise.all([...ctx.inFlightNotifications]);
}
