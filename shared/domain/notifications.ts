/**
 * The typed events a requester is told on the `notifications` topic (and by webhook): SCHEDULING.md rule 3,
 * "no silent drops" — a deferred request is told its position, ETA and reason, told again when the ETA
 * moves, and told when it is admitted and when it finishes.
 */
import { schemaVersion } from './messages';
import type { RequestStatus } from './status';

export const notificationTypes = [
  'request.received',
  'request.queued',
  'request.deferred',
  'request.eta-changed',
  'request.admitted',
  'request.preempted',
  'request.promoted',
  'request.scheduled',
  'request.running',
  'request.completed',
  'request.failed',
  'request.cancelled',
  'request.released',
] as const;
export type NotificationType = (typeof notificationTypes)[number];

/** One event as it is published and POSTed to webhooks. `eta` is an ISO time (or local date for plans), null when none is expected. */
export interface RequestNotification {
  schemaVersion: typeof schemaVersion;
  type: NotificationType;
  requestId: string;
  orgId: string;
  tier: string;
  status: RequestStatus;
  position: number | null;
  eta: string | null;
  reason: string | null;
  at: string;
  eventId: string;
}

/**
 * The notification a status change means. Leaving `deferred` for `queued` is an admission. (A preemption,
 * admitted work pushed back before it started, is also `queued → deferred`: its decision says so.)
 */
export function statusNotificationType(from: RequestStatus | undefined, to: RequestStatus): NotificationType {
  if (to === 'queued' && from === 'deferred') return 'request.admitted';
  if (to === 'completed' || to === 'completed-with-errors') return 'request.completed';
  return `request.${to}` as NotificationType;
}
