import { batchLabel } from '../../../domain/batches';
import { workKey, type Hold } from '../../../domain/holds';
import { executorAttempt } from '../../../domain/back-off';
import { isSupersededAttempt } from '../../../domain/retry-plan';
import type { MailboxEntry } from '../../../domain/inventory';
import type { MigrateBatchMessage } from '../../../domain/messages';
import type { ItemRecord, RequestRecord } from '../../../domain/records';
import type { PendingOperation } from '../../../domain/long-running';
import type { AppContext } from '../../context';
import { execute, transientFailure, type DeliveryContext } from '../../effects/delivery';
import { acquireSlots, waitForSlotsLater, type SlotGrant } from '../../effects/execution-slots';
import { ItemResultWriter } from '../../effects/item-results';
import { mapLimit } from '../../../domain/map-limit';
import { trackActivity } from '../../effects/activity';
import { holdOnWork, trackRunning, type RunningHandle } from '../../effects/holds';
import { parkHeld } from './park-held';
import { completeBatch } from './complete-batch';
import {
  awaitOperations,
  countInProgress,
  finishCancelledBatch,
  itemRecordFor,
  itemTask,
  pollBatchItems,
} from './batch-operations';
import type { WorkResult } from './work-result';

interface PendingTransient {
  index: number;
  address: string;
  reason: string;
}

/**
 * Executes a batch item by item. Items already final are never executed again; results are written as
 * they arrive (`ItemResultWriter`), so a redelivery or a crash repeats at most the items in flight. The
 * batch's counters roll up into the request when its last item is final. Transient item failures throw
 * once the others are written: the delivery protocol schedules the next attempt (back-off), which runs only
 * what is not final, or records what is left as given up when the chain's time is over. Items the back-end
 * runs as long-running operations are polled when due, and the batch waits for them on scheduled polls.
 */
export async function processBatch(
  ctx: AppContext,
  message: MigrateBatchMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const request = await ctx.ports.requests.get(message.requestId);
  if (!request) {
    ctx.log(
      'error',
      `${delivery.functionName}: batch ${message.batchNumber} of unknown request ${message.requestId}`,
    );
    return 'rejected';
  }
  const batch = await ctx.ports.requests.getBatch(request.id, message.batchNumber);
  if (!batch) return 'rejected';
  if (batch.status === 'completed' || batch.status === 'cancelled') return 'duplicate';
  if (request.status === 'cancelled') return finishCancelledBatch(ctx, request, message, delivery);
  if (isSupersededAttempt(batch, message)) return 'duplicate';
  // Held (its tier or organisation): nothing of it starts; the message is kept for the resume.
  const hold = await holdOnWork(ctx, request);
  if (hold) return parkHeld(ctx, request, message, hold, batch.inProgress ?? 0);
  // A heartbeat for the reconciler: this request's batches are being delivered.
  await trackActivity(ctx, request);

  const mailboxes = await ctx.ports.artifacts.readBatchManifest(request.id, message.batchNumber);
  const { done, priorAttempts, inProgress } = await itemsSoFar(ctx, request.id, message.batchNumber);
  const attemptOf = (index: number): number =>
    executorAttempt(priorAttempts.get(index), message.attempt ?? 1);
  let todo = mailboxes.map((m, index) => ({ m, index })).filter(({ index }) => !done.has(index));
  // Long-running operations first: reading a status is cheap, and needs no execution slot.
  const open = await pollBatchItems(ctx, request, message.batchNumber, mailboxes, [...inProgress.values()]);

  const pending: PendingTransient[] = [];
  // Nothing to start (a delivery that only polls): no registry entry, no slots.
  if (todo.length > 0) {
    // The running registry (drain reports) for as long as this delivery executes items.
    const running = await trackRunning(ctx, {
      key: workKey(request.id, message.batchNumber),
      kind: 'batch',
      requestId: request.id,
      batchNumber: message.batchNumber,
      tier: request.tier,
      orgId: request.orgId,
      itemsLeft: todo.length,
      concurrency: ctx.settings.itemConcurrency,
    });
    // The slot gate: each run of items holds execution slots; one that yields for higher-tier work gives them
    // back and queues again for the items it did not take (or, after a long wait, leaves them to a successor).
    try {
      while (todo.length > 0) {
        // Held before (again) queueing for slots: nothing more of it starts.
        const heldNow = await holdOnWork(ctx, request);
        if (heldNow) return await parkWithOperations(ctx, request, message, heldNow, open.length);
        const leaseId = `${request.id}:${batchLabel(message.batchNumber)}`;
        const want = Math.min(ctx.settings.itemConcurrency, todo.length);
        // At least half its concurrency: a few full-speed batches beat many crawling ones.
        const grant = await acquireSlots(ctx, { leaseId, request, want, min: Math.ceil(want / 2) });
        if (grant === 'later') {
          await waitForSlotsLater(ctx, message, delivery);
          return 'rescheduled';
        }
        if (grant.contended) {
          // Another delivery of this batch ran meanwhile: only what it left is still to do.
          const now = await itemsSoFar(ctx, request.id, message.batchNumber);
          todo = todo.filter(({ index }) => !now.done.has(index));
        }
        const ran = await runItems(ctx, request, message.batchNumber, todo, attemptOf, grant, running);
        if (ran === 'cancelled') return await finishCancelledBatch(ctx, request, message, delivery);
        // Held while it ran: its in-flight items finished and are recorded; the rest runs on resume.
        if (ran.held) {
          const operations = open.length + ran.started.length;
          return await parkWithOperations(ctx, request, message, ran.held, operations);
        }
        pending.push(...ran.pending);
        open.push(...ran.started);
        todo = ran.untaken;
      }
    } finally {
      await running.done();
    }
  }
  if (pending.length > 0) {
    // The back-off's successor polls the open operations too (each delivery polls what is due).
    await countInProgress(ctx, request.id, message.batchNumber, open.length);
    throw transientFailure(`${pending.length} item(s) failed transiently (last: ${pending.at(-1)?.reason})`);
  }
  if (open.length > 0) return awaitOperations(ctx, request, message, delivery, open);
  return completeBatch(ctx, request.id, message.batchNumber, mailboxes.length, delivery);
}

/** Parks a batch held mid-way, its open long-running operations counted on it (the view) and in the drain report. */
async function parkWithOperations(
  ctx: AppContext,
  request: RequestRecord,
  message: MigrateBatchMessage,
  hold: Hold,
  operations: number,
): Promise<WorkResult> {
  if (operations > 0) await countInProgress(ctx, request.id, message.batchNumber, operations);
  return parkHeld(ctx, request, message, hold, operations);
}

/**
 * The items not to execute (final, or running at the back-end: `done`), the long-running operations among
 * them, and the attempts of those a retry re-opened. An in-progress row without its operation (written by
 * hand) cannot be polled: it is started again, which its idempotency key makes safe.
 */
async function itemsSoFar(
  ctx: AppContext,
  requestId: string,
  batchNumber: number,
): Promise<{ done: Set<number>; priorAttempts: Map<number, number>; inProgress: Map<number, ItemRecord> }> {
  const done = new Set<number>();
  const priorAttempts = new Map<number, number>();
  const inProgress = new Map<number, ItemRecord>();
  for (const item of await ctx.ports.items.list(requestId, batchNumber)) {
    if (item.status === 'retry' || (item.status === 'in-progress' && !item.operation)) {
      priorAttempts.set(item.index, item.attempts);
    } else {
      done.add(item.index);
      if (item.status === 'in-progress') inProgress.set(item.index, item);
    }
  }
  return { done, priorAttempts, inProgress };
}

/**
 * Runs the items as many at a time as `grant` holds slots, writing each final result. Stops taking items when
 * the request is cancelled, the grant must yield, a hold covers it (the same checkpoint, before each item,
 * against the cached holds: no storage read per item), or a write fails (the message is then abandoned:
 * nothing runs on after it); then gives the slots back.
 * @returns the items that failed transiently, the long-running operations started, and the items not taken
 *   (with the hold that stopped it), or `cancelled`.
 */
async function runItems(
  ctx: AppContext,
  request: RequestRecord,
  batchNumber: number,
  todo: ReadonlyArray<{ m: MailboxEntry; index: number }>,
  attemptOf: (index: number) => number,
  grant: SlotGrant,
  running: RunningHandle,
): Promise<
  | {
      pending: PendingTransient[];
      started: PendingOperation[];
      untaken: Array<{ m: MailboxEntry; index: number }>;
      held?: Hold;
    }
  | 'cancelled'
> {
  const writer = new ItemResultWriter(ctx, request.id, batchNumber);
  const pending: PendingTransient[] = [];
  const started: PendingOperation[] = [];
  const untaken: Array<{ m: MailboxEntry; index: number }> = [];
  let stopped = false;
  let held: Hold | undefined;
  let left = todo.length;
  try {
    await mapLimit(todo, grant.slots, async ({ m, index }) => {
      if (writer.cancelled || writer.failed || stopped) return;
      // The checkpoint: a yield for higher-tier work, or a hold, leaves the rest untaken.
      held ??= await holdOnWork(ctx, request);
      if (grant.stopping || held) {
        untaken.push({ m, index });
        return;
      }
      running.beat(left--);
      const attempt = attemptOf(index);
      const outcome = await execute(ctx, itemTask(request, batchNumber, index, m, attempt));
      const item = itemRecordFor(ctx, { index, address: m.address, attempt }, outcome);
      if (!item) {
        pending.push({ index, address: m.address, reason: outcome.ok === false ? outcome.reason : '' });
        return;
      }
      if (item.operation) started.push(item.operation);
      await writer.add(item);
    });
    await writer.flush();
  } catch (err: unknown) {
    stopped = true;
    throw err;
  } finally {
    // Nothing more runs: the slots go back while the last results are written.
    const [closed] = await Promise.allSettled([writer.close(), grant.release()]);
    if (closed.status === 'rejected') throw closed.reason;
  }
  if (writer.cancelled) return 'cancelled';
  return { pending, started, untaken, ...(held ? { held } : {}) };
}
