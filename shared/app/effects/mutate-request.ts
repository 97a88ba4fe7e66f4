import { TriageError } from '../../domain/errors';
import type { NotificationType } from '../../domain/notifications';
import type { RequestRecord } from '../../domain/records';
import { assertTransition } from '../../domain/status';
import type { AppContext } from '../context';
import { trackActivity } from './activity';
import { recordEvent } from './history';
import { retryOnConflict } from './retry-on-conflict';

export interface MutateRequestOptions {
  /** The message of the status event recorded when the status changes. */
  event?: string;
  /** A record just read or written (with its ETag): saves the first read; a conflict re-reads. */
  known?: RequestRecord;
  /** Record the status event without a notification (one with more to say follows). */
  silent?: boolean;
  /** The notification the status change means when the change alone does not say (a preemption). */
  notification?: NotificationType;
}

/**
 * The one way to change a request: read, `decide` (pure; null for "nothing to change"), check the status
 * transition against the machine, write with the ETag, and record a status event when the status changed.
 * Conflicts re-read and decide again.
 * @returns the saved record, the current one when `decide` changed nothing, or null when there is no such request.
 * @throws TriageError `invalid-transition` when `decide` breaks the status machine (a bug, not retried);
 *   `concurrency` when the request kept changing; whatever `decide` throws.
 */
export async function mutateRequest(
  ctx: AppContext,
  requestId: string,
  decide: (current: RequestRecord) => RequestRecord | null,
  options: MutateRequestOptions = {},
): Promise<RequestRecord | null> {
  return retryOnConflict(
    async (attempt) => {
      const known = options.known;
      const current = attempt === 0 && known?.etag ? known : await ctx.ports.requests.get(requestId);
      if (!current) return null;
      const next = decide(current);
      if (!next) return current;
      if (next.status !== current.status) assertTransition(current.status, next.status);
      const saved = await ctx.ports.requests.update(
        { ...next, updatedAt: ctx.now() },
        next.tier !== current.tier ? { reindex: true } : {},
      );
      await trackActivity(ctx, saved);
      if (saved.status !== current.status) {
        await recordEvent(ctx, saved, {
          type: 'status',
          status: saved.status,
          from: current.status,
          ...(options.event ? { message: options.event } : {}),
          ...(options.silent ? { silent: true } : {}),
          ...(options.notification ? { notification: options.notification } : {}),
        });
      }
      return saved;
    },
    { what: `request ${requestId}` },
  );
}

/** As `mutateRequest`, for a request that must exist. @throws TriageError `not-found` when it does not. */
export async function mutateExistingRequest(
  ctx: AppContext,
  requestId: string,
  decide: (current: RequestRecord) => RequestRecord | null,
  options: MutateRequestOptions = {},
): Promise<RequestRecord> {
  const saved = await mutateRequest(ctx, requestId, decide, options);
  if (!saved) throw new TriageError('not-found', `no request "${requestId}"`);
  return saved;
}
