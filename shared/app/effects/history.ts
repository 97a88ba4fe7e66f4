/**
 * The history of a request (append-only events) and the notifications published from it. An event is
 * stored first; publishing it never holds up the caller, and a failed publish leaves the event marked
 * unpublished in the history — visible, never silently lost.
 */
import { ensureError } from '../../domain/errors';
import { schemaVersion } from '../../domain/messages';
import { statusNotificationType, type RequestNotification } from '../../domain/notifications';
import type { RequestEvent, RequestRecord } from '../../domain/records';
import type { RequestStatus } from '../../domain/status';
import type { AppContext } from '../context';

type RequestRef = Pick<RequestRecord, 'id' | 'orgId' | 'tier' | 'status'>;

/** An event to record; `from` (the status before a status event) decides its notification and is not stored. */
export type NewEvent = Omit<RequestEvent, 'eventId' | 'published' | 'requestId' | 'at' | 'requestStatus'> & {
  from?: RequestStatus;
  /** History only: no notification (one that says more follows, e.g. a deferral with its ETA). */
  silent?: boolean;
};

/** The stored shape of an event: a status event gets the notification its change means. */
export function eventToStore(
  request: RequestRef,
  event: NewEvent,
  at: string,
): Omit<RequestEvent, 'eventId' | 'published'> {
  const { from, silent, ...rest } = event;
  const notification = silent
    ? undefined
    : (rest.notification ??
      (rest.type === 'status' && rest.status ? statusNotificationType(from, rest.status) : undefined));
  return {
    ...rest,
    ...(notification ? { notification } : {}),
    requestStatus: rest.status ?? request.status,
    requestId: request.id,
    at,
  };
}

/** Appends one event to the request's history (now), then notifies in the background. */
export async function recordEvent(ctx: AppContext, request: RequestRef, event: NewEvent): Promise<void> {
  const stored = await ctx.ports.events.append(eventToStore(request, event, ctx.now()));
  notify(ctx, request, stored);
}

/** The notification of a stored event, or undefined for history-only events. */
export function notificationOf(
  request: Pick<RequestRecord, 'orgId' | 'tier'>,
  stored: RequestEvent,
): RequestNotification | undefined {
  if (!stored.notification) return undefined;
  return {
    schemaVersion,
    type: stored.notification,
    requestId: stored.requestId,
    orgId: request.orgId,
    tier: request.tier,
    status: stored.requestStatus ?? stored.status ?? 'received',
    position: stored.position ?? null,
    eta: stored.eta ?? null,
    reason: stored.message ?? null,
    at: stored.at,
    eventId: stored.eventId,
  };
}

/** Publishes a stored event's notification in the background; history-only events publish nothing. */
export function notify(
  ctx: AppContext,
  request: Pick<RequestRecord, 'id' | 'orgId' | 'tier'>,
  stored: RequestEvent,
): void {
  const notification = notificationOf(request, stored);
  if (!notification) return;
  const publishing = ctx.ports.publisher
    .publishNotification(notification)
    .then(() => ctx.ports.events.markPublished(request.id, stored.eventId))
    .catch((err: unknown) => {
      ctx.log(
        'warn',
        `notification ${notification.type} for ${request.id} not published: ${ensureError(err).message}`,
      );
    })
    .finally(() => ctx.inFlightNotifications.delete(publishing));
  ctx.inFlightNotifications.add(publishing);
}

/** Resolves when every notification started so far has been published or given up on (tests, shutdown). */
export async function flushNotifications(ctx: AppContext): Promise<void> {
  while (ctx.inFlightNotifications.size > 0) await Promise.all([...ctx.inFlightNotifications]);
}
