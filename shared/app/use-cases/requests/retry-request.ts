import { messageIds } from '../../../domain/batches';
import { TriageError } from '../../../domain/errors';
import type { Principal } from '../../../domain/identity/principal';
import { batchMessage, requestMessage } from '../../../domain/messages';
import { allHeldElsewhereRefusal, retryDuplicatesIndex } from '../../../domain/retry-claims';
import { decideRequeue, isRetryableOutcome, reopenBatch } from '../../../domain/retry-plan';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { isSettled } from '../../effects/activity';
import { recordEvent } from '../../effects/history';
import { repairStuck } from '../../effects/repair';
import { mutateBatchAndRequest } from '../../effects/mutate-batch';
import { mutateExistingRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';
import { keepClaimsLostMeanwhile, noteHeldElsewhere, planMigrationRetry } from '../../effects/retry-claims';
import { toRequestView, type RequestView } from '../../views/request-view';
import { visibleRequest } from '../../views/visible-request';
import { replayDeadLettered } from './replay-dead-lettered';

/**
 * POST /api/requests/{id}/retry — re-queues what failed (a failed provisioning; a migration's batches
 * with failed items, whose mailboxes it claims again first: those another request in flight migrates now
 * stay failed and are reported as duplicates), replays what was dead-lettered while the request is not
 * finished, and repairs a request stuck in any other non-terminal state (re-publishes its lost or
 * never-published messages). Audited with the caller once something was re-queued, replayed or repaired.
 * @throws TriageError `not-found` (also for a request the caller may not act on); `invalid-transition`
 *   when there is nothing to retry (also when every failed mailbox is migrated by another request in
 *   flight); `concurrency` when the claims kept changing; `dependency-unavailable` when Service Bus does
 *   not accept the messages.
 */
export async function retryRequest(ctx: AppContext, caller: Principal, id: unknown): Promise<RequestView> {
  const record = await visibleRequest(ctx, caller, 'requests:retry', id);
  const requestId = record.id;
  const audit = (detail: string) =>
    recordAudit(ctx, caller, 'requests:retry', { orgId: record.orgId, target: requestId, detail });
  if (!isTerminal(record.status) || !isSettled(record)) {
    const replayed = await replayDeadLettered(ctx, record);
    if (replayed) {
      await audit('replayed dead-lettered messages');
      return toRequestView(ctx, replayed, { detail: true });
    }
    // Stuck without a dead-letter (a message lost, an intake never published): repair it now.
    // Idle for a minute (or never published) is stuck enough for an operator; fresher work is left alone.
    const idleForMs = record.unpublished ? 0 : Math.min(ctx.settings.staleAfterMs, 60_000);
    const repair = await repairStuck(ctx, record, record.updatedAt, { idleForMs, force: true });
    if (repair.action === 'republished') {
      await audit('re-published lost messages');
      return toRequestView(ctx, (await ctx.ports.requests.get(requestId)) ?? record, { detail: true });
    }
  }
  if (!isRetryableOutcome(record)) {
    throw new TriageError(
      'invalid-transition',
      isTerminal(record.status)
        ? `only failed or completed-with-errors requests can be retried (this one is ${record.status})`
        : `nothing to retry: the request is ${record.status}, made progress in the last minute and none of its messages is dead-lettered`,
    );
  }
  const retryCount = record.retryCount + 1;
  if (record.kind === 'provision' || record.batchCount === undefined) {
    const saved = await mutateExistingRequest(ctx, requestId, (c) => decideRequeue(c, retryCount), {
      event: 'retry requested',
    });
    await publishWork(ctx, [
      { message: requestMessage(saved), messageId: messageIds.retry(requestId, retryCount) },
    ]);
    await audit('re-queued the request');
    return toRequestView(ctx, saved, { detail: true });
  }

  // Migration: claim the failed mailboxes again (another request may have taken them over while this one
  // was finished), then re-open each batch with failures it may re-run, undoing its roll-up in the same
  // transaction. What another request in flight migrates now stays failed and is reported.
  const plan = await planMigrationRetry(ctx, record);
  if (plan.kept.length > 0 && !plan.batches.some((b) => b.reopen)) {
    throw new TriageError('invalid-transition', allHeldElsewhereRefusal(plan.kept));
  }
  if (plan.reported.length > 0) {
    await ctx.ports.artifacts.writeDuplicates(requestId, retryDuplicatesIndex(record), plan.reported);
  }
  // The report joins the request's summary with the first batch re-opened: once, even if two retries race.
  let report = plan.reported;
  const reopened: number[] = [];
  for (const { batchNumber, selection, reopen } of plan.batches) {
    if (!reopen) continue;
    await ctx.ports.items.write(requestId, batchNumber, selection.requeue);
    const kept = { failed: selection.keep.length, reported: report };
    const written = await mutateBatchAndRequest(
      ctx,
      requestId,
      batchNumber,
      (b, r) => reopenBatch(b, r, retryCount, kept),
      { event: 'retry requested' },
    );
    if (written) {
      reopened.push(batchNumber);
      report = [];
    }
  }
  // In flight again: a claim taken over in the moment before the re-opening is put back to failed now,
  // before any batch message goes out.
  const lostMeanwhile = await keepClaimsLostMeanwhile(
    ctx,
    record,
    plan.batches.filter((b) => reopened.includes(b.batchNumber)),
  );
  // Kept items say who migrates them now: written after the report, so a crash in between reports them again
  // rather than never.
  const rewrite = plan.batches.filter((b) => b.selection.rewrite.length > 0);
  for (const { batchNumber, selection } of rewrite) {
    await ctx.ports.items.write(requestId, batchNumber, selection.rewrite);
  }
  const saved = (await ctx.ports.requests.get(requestId)) ?? record;
  if (reopened.length > 0) {
    await recordEvent(ctx, saved, { type: 'retry', message: `retry of ${reopened.length} batch(es)` });
    if (plan.reported.length > 0 && report.length === 0) await noteHeldElsewhere(ctx, saved, plan.reported);
    await noteHeldElsewhere(ctx, saved, lostMeanwhile);
    await publishWork(
      ctx,
      reopened.map((batchNumber) => ({
        message: batchMessage(saved, batchNumber),
        messageId: messageIds.retry(requestId, retryCount, batchNumber),
      })),
    );
    await audit(`re-opened ${reopened.length} batch(es)`);
  }
  return toRequestView(ctx, saved, { detail: true });
}
