import { batchLabel, messageIds } from '../../domain/batches';
import { parseIsoDurationInMs } from '../../domain/duration';
import { batchMessage, requestMessage, type WorkMessage } from '../../domain/messages';
import type { RequestRecord } from '../../domain/records';
import { workTopics } from '../../domain/topology';
import type { AppContext } from '../context';
import type { OutgoingWorkMessage } from '../ports/publisher';
import { isSettled, trackActivity } from './activity';
import { recordEvent } from './history';
import { mutateRequest } from './mutate-request';
import { publishWork } from './publish';

/** What repairing one request did, for the reconciler's report and the history. */
export interface Repair {
  requestId: string;
  action: 'settled' | 'fresh' | 'waiting' | 'dead-lettered' | 'republished' | 'missing';
  detail?: string;
}

/** The work topics' duplicate-detection window: a re-publish under the same messageId inside it is harmless. */
export function duplicateWindowMs(ctx: AppContext): number {
  const windows = workTopics(ctx.topology).map((t) =>
    parseIsoDurationInMs(t.settings.duplicateDetectionHistoryTimeWindow),
  );
  return Math.min(...windows);
}

/** The messageId its last dispatch used: the intake's, or the latest retry's. */
function dispatchId(record: RequestRecord): string {
  return record.retryCount > 0
    ? messageIds.retry(record.id, record.retryCount)
    : messageIds.request(record.id);
}

/** The next attempt of a chain the record has been running (a fresh chain when it has none). */
function withNextAttempt<M extends WorkMessage>(message: M, chainAttempt: number | undefined, at: string): M {
  return chainAttempt ? { ...message, attempt: chainAttempt + 1, firstAttemptAt: at } : message;
}

/**
 * Repairs one non-terminal request that made no progress since `progressAt` (its last recorded progress,
 * from the activity index or the record): re-publishes what was never published (the intake's outbox),
 * a message that was lost (a queued request, a running provisioning, the open batches of a migration, a
 * cancelled migration's batches still to settle), and forgets what is settled. Idempotent: a re-publish
 * inside the duplicate-detection window reuses the messageId it replaces, and one outside it derives its
 * id from the idle time it repairs, so two reconcilers repairing the same state publish one message.
 * `force` (an operator's retry) also repairs what the reconciler leaves alone: a dead-lettered batch, a
 * queued request idle beyond the duplicate-detection window.
 * @throws TriageError `dependency-unavailable` when Service Bus does not accept the messages.
 */
export async function repairStuck(
  ctx: AppContext,
  record: RequestRecord,
  progressAt: string,
  options: { idleForMs: number; force?: boolean },
): Promise<Repair> {
  const id = record.id;
  if (isSettled(record)) {
    await trackActivity(ctx, record);
    return { requestId: id, action: 'settled' };
  }
  const now = ctx.clock().getTime();
  const lastProgress = Math.max(Date.parse(progressAt), Date.parse(record.updatedAt));
  if (now - lastProgress < options.idleForMs) {
    await trackActivity(ctx, record, new Date(lastProgress).toISOString());
    return { requestId: id, action: 'fresh' };
  }
  if (record.deadLettered && !options.force) return { requestId: id, action: 'dead-lettered' };
  const stamp = `reconcile-${lastProgress.toString(36)}`;
  const at = ctx.now();
  const outgoing: OutgoingWorkMessage[] = [];

  const started = record.kind === 'migrate' && (record.batchCount !== undefined || !!record.planning);
  if (!started && (record.status === 'received' || record.status === 'queued')) {
    const inWindow = now - Date.parse(record.updatedAt) < duplicateWindowMs(ctx) * 0.8;
    if (!record.unpublished && !inWindow && !options.force) return { requestId: id, action: 'waiting' };
    outgoing.push({
      message: withNextAttempt(requestMessage(record), record.chainAttempt, at),
      messageId: record.unpublished || inWindow ? dispatchId(record) : `${id}:${stamp}`,
    });
  } else if (!started && record.status === 'running') {
    outgoing.push({
      message: withNextAttempt(requestMessage(record), record.chainAttempt, at),
      messageId: `${id}:${stamp}`,
    });
  } else if (started) {
    // A migration in planning or planned: its open batches, and the planning where it stopped.
    if (record.batchCount === undefined) {
      outgoing.push({
        message: withNextAttempt(requestMessage(record), record.chainAttempt, at),
        messageId: `${id}:plan:${record.planning?.batches ?? 0}:${stamp}`,
      });
    }
    for (const batch of await ctx.ports.requests.listBatches(id)) {
      if (batch.status === 'completed' || batch.status === 'cancelled') continue;
      if (batch.deadLettered && !options.force) continue;
      outgoing.push({
        message: withNextAttempt(batchMessage(record, batch.batchNumber), batch.chainAttempt, at),
        messageId: `${messageIds.batch(id, batch.batchNumber)}:${stamp}`,
      });
    }
  }
  if (outgoing.length === 0) return { requestId: id, action: 'waiting' };
  await publishWork(ctx, outgoing);
  const what = outgoing
    .map((m) =>
      m.message.kind === 'migrate-batch'
        ? batchLabel(m.message.batchNumber)
        : `the ${m.message.kind} message`,
    )
    .join(', ');
  const saved =
    (await mutateRequest(ctx, id, (current) =>
      current.unpublished ? { ...current, unpublished: false } : { ...current },
    )) ?? record;
  const idleSeconds = Math.round((now - lastProgress) / 1000);
  await recordEvent(ctx, saved, {
    type: 'note',
    message: `${options.force ? 'retry' : 'reconciler'}: re-published ${what} (no progress for ${idleSeconds} s)`,
  });
  return { requestId: id, action: 'republished', detail: what };
}
