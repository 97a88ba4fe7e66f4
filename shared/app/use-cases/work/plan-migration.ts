import { messageIds, splitIntoBatches } from '../../../domain/batches';
import { isTriageError, TriageError } from '../../../domain/errors';
import type { MailboxEntry } from '../../../domain/inventory';
import { batchMessage, type MigrateMessage } from '../../../domain/messages';
import type { RequestRecord } from '../../../domain/records';
import {
  decideCancelledPlanning,
  decidePlanned,
  decidePlanningChunk,
  entriesPlanned,
  nextChunkBatches,
} from '../../../domain/request-lifecycle';
import { isSupersededAttempt } from '../../../domain/retry-plan';
import { addDuplicates, duplicateRefusal, type SkippedMailbox } from '../../../domain/duplicate-work';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { transientFailure, type DeliveryContext } from '../../effects/delivery';
import { claimMailboxes } from '../../effects/claim-mailboxes';
import { ensureRequest } from '../../effects/ensure-request';
import { recordEvent } from '../../effects/history';
import { mapLimit } from '../../../domain/map-limit';
import { assertOwnInventory } from '../../effects/own-inventory';
import { mutateRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';
import { registerProgrammeClaim } from './register-programme-claim';
import type { WorkResult } from './work-result';

/**
 * Plans a migration one chunk per message: reads the next chunk's worth (up to `planChunkBatches` batches,
 * fewer when the last chunk took long: see `nextChunkBatches`) of the
 * inventory (from where the record says the last chunk stopped), writes their manifests and batch records,
 * publishes their `migrate-batch` messages, records the chunk (the request shows `running` with its
 * planning progress from the first chunk), and publishes a continuation for the rest. No invocation holds
 * more than one chunk or outlives a lock, however large the inventory. Every step is idempotent: a chunk
 * delivered twice rewrites the same manifests, republishes the same messageIds and is recorded once.
 * A corrupt or invalid inventory is a permanent error (`validation`): the request fails with its reason.
 * A missing one is transient: it may be restored (back-off, then given up and replayable by retry).
 * An inventory that is not the request's own (its blob metadata names another organisation, or another
 * request's inline list) fails the request for good; the check precedes every chunk's read.
 */
export async function planMigration(
  ctx: AppContext,
  message: MigrateMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  const request = await ensureRequest(ctx, message, message.tier);
  if (request.status === 'cancelled') {
    await mutateRequest(ctx, request.id, decideCancelledPlanning, { known: request });
    return 'cancelled';
  }
  if (isTerminal(request.status)) return 'duplicate';
  if (isSupersededAttempt(request, message)) return 'duplicate';
  // Under a programme calendar the waves create the batches: planning only registers the claim.
  if (request.programme) return 'scheduled';
  if (request.batchCount !== undefined) return republishOpen(ctx, request);
  const inventory = request.inventory ?? message.inventory;
  if (!request.planning) {
    const programme = await ctx.ports.programme.getState();
    // A programme claim needs the whole list (it is not planned in chunks, see the README).
    if (programme) {
      const all = await readOwnInventory(ctx, request, inventory);
      await refuseDuplicates(ctx, request, all);
      if (await registerProgrammeClaim(ctx, request, all, programme, delivery)) return 'scheduled';
    }
  }

  const fromBatch = request.planning?.batches ?? 0;
  const chunkBatches = Math.min(
    request.planning?.chunkBatches ?? ctx.settings.planChunkBatches,
    ctx.settings.planChunkBatches,
  );
  const chunkStarted = ctx.clock().getTime();
  const perChunk = chunkBatches * ctx.settings.batchSize;
  const chunk = await readChunk(ctx, request, inventory, request.planning?.cursor, perChunk);
  const fromEntry = entriesPlanned(request);
  const { planned, skipped } = await claimMailboxes(ctx, request, chunk.entries);
  if (skipped.length > 0) await ctx.ports.artifacts.writeDuplicates(request.id, fromEntry, skipped);
  const batches = splitIntoBatches(planned, ctx.settings.batchSize).map((b) => ({
    ...b,
    batchNumber: fromBatch + b.batchNumber,
  }));
  const manifests = await mapLimit(batches, 8, async (b) => ({
    batchNumber: b.batchNumber,
    total: b.items.length,
    manifest: (await ctx.ports.artifacts.writeBatchManifest(request.id, b.batchNumber, b.items)).ndjsonBlob,
  }));
  await ctx.ports.requests.ensureBatches(
    manifests.map((m) => ({ requestId: request.id, status: 'queued', succeeded: 0, failed: 0, ...m })),
  );
  await publishWork(
    ctx,
    batches.map((b) => ({
      message: batchMessage(request, b.batchNumber),
      messageId: messageIds.batch(request.id, b.batchNumber),
    })),
  );
  const mailboxes = (request.planning?.mailboxes ?? 0) + planned.length;
  if (chunk.next === undefined) {
    const done = await mutateRequest(
      ctx,
      request.id,
      (c) =>
        entriesPlanned(c) === fromEntry
          ? decidePlanned(c, {
              batchCount: fromBatch + batches.length,
              total: mailboxes,
              functionName: delivery.functionName,
              skipped,
            })
          : null,
      { event: `planned ${fromBatch + batches.length} batch(es) of up to ${ctx.settings.batchSize}` },
    );
    await noteDuplicates(ctx, done, skipped);
    return done && done.batchCount !== undefined ? 'planned' : 'duplicate';
  }
  const cursor = chunk.next;
  let advanced = false;
  await mutateRequest(ctx, request.id, (c) => {
    const next = decidePlanningChunk(c, {
      nextChunkBatches: nextChunkBatches(
        chunkBatches,
        ctx.clock().getTime() - chunkStarted,
        ctx.settings.planChunkBatches,
      ),
      fromBatch,
      fromEntry,
      batches: batches.length,
      mailboxes: planned.length,
      skipped,
      cursor,
      functionName: delivery.functionName,
    });
    advanced = next !== null;
    return next;
  });
  if (!advanced) return 'duplicate';
  await noteDuplicates(ctx, request, skipped);
  // The continuation's id names where it starts (entries read so far): a redelivery of this chunk publishes
  // the same one.
  await publishWork(ctx, [
    {
      message: { ...message, attempt: undefined, firstAttemptAt: undefined },
      messageId: `${request.id}:plan:${fromEntry + chunk.entries.length}`,
    },
  ]);
  return 'planning';
}

/**
 * A programme migration is planned as a whole (its count and bytes claim days of the calendar), so one that
 * names mailboxes other requests in flight migrate is refused, with the list, rather than planned short.
 * @throws TriageError `validation` (the request fails with the reason) when some are.
 */
async function refuseDuplicates(
  ctx: AppContext,
  request: RequestRecord,
  mailboxes: readonly MailboxEntry[],
): Promise<void> {
  const { skipped } = await claimMailboxes(ctx, request, mailboxes);
  const duplicates = addDuplicates(undefined, skipped);
  if (!duplicates) return;
  await ctx.ports.artifacts.writeDuplicates(request.id, 0, skipped);
  await mutateRequest(ctx, request.id, (c) => (isTerminal(c.status) ? null : { ...c, duplicates }));
  throw new TriageError('validation', duplicateRefusal(duplicates));
}

/** The history says what a chunk left out, and where the list is. */
async function noteDuplicates(
  ctx: AppContext,
  request: RequestRecord | null,
  skipped: readonly SkippedMailbox[],
): Promise<void> {
  if (!request || skipped.length === 0) return;
  const first = skipped[0]!;
  await recordEvent(ctx, request, {
    type: 'note',
    message:
      `skipped ${skipped.length} mailbox(es) already in requests in flight (e.g. ${first.address} in ` +
      `${first.heldBy}, ${first.heldByStatus}): listed at /api/requests/${request.id}/duplicates`,
  });
}

/** A planned migration delivered again: its batches not completed go out again (duplicate detection drops the rest). */
async function republishOpen(ctx: AppContext, planned: RequestRecord): Promise<WorkResult> {
  const open = (await ctx.ports.requests.listBatches(planned.id)).filter((b) => b.status !== 'completed');
  await publishWork(
    ctx,
    open.map((b) => ({
      message: batchMessage(planned, b.batchNumber),
      messageId: messageIds.batch(planned.id, b.batchNumber),
    })),
  );
  return 'planned';
}

async function readOwnInventory(
  ctx: AppContext,
  request: { id: string; orgId: string },
  blobName: string,
): Promise<MailboxEntry[]> {
  const mailboxes: MailboxEntry[] = [];
  try {
    await assertOwnInventory(ctx, request, blobName);
    for await (const entry of ctx.ports.artifacts.readInventory(blobName)) mailboxes.push(entry);
  } catch (err: unknown) {
    if (isTriageError(err, 'not-found')) throw transientFailure(`inventory ${blobName} is missing`);
    throw err;
  }
  return mailboxes;
}

async function readChunk(
  ctx: AppContext,
  request: { id: string; orgId: string },
  blobName: string,
  cursor: string | undefined,
  max: number,
) {
  try {
    await assertOwnInventory(ctx, request, blobName);
    return await ctx.ports.artifacts.readInventoryChunk(blobName, cursor, max);
  } catch (err: unknown) {
    if (isTriageError(err, 'not-found')) throw transientFailure(`inventory ${blobName} is missing`);
    throw err;
  }
}
