import { messageIds, splitIntoBatches } from '../../../domain/batches';
import { isTriageError } from '../../../domain/errors';
import type { MailboxEntry } from '../../../domain/inventory';
import { batchMessage, type MigrateMessage } from '../../../domain/messages';
import { decidePlanned } from '../../../domain/request-lifecycle';
import { isSupersededAttempt } from '../../../domain/retry-plan';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { transientFailure, type DeliveryContext } from '../../effects/delivery';
import { ensureRequest } from '../../effects/ensure-request';
import { mapLimit } from '../../effects/map-limit';
import { mutateRequest } from '../../effects/mutate-request';
import { publishWork } from '../../effects/publish';
import type { WorkResult } from './work-result';

/**
 * Splits the inventory into batches, writes the manifests, records the batches and publishes one
 * `migrate-batch` message per batch. A redelivery re-publishes only what is not completed.
 * A corrupt or invalid inventory is a permanent error (`validation`): the delivery protocol fails the
 * request with its reason. A missing one is transient: it may be restored, and `retry` replays the
 * planning once the message is dead-lettered.
 */
export async function planMigration(
  ctx: AppContext,
  message: MigrateMessage,
  delivery: DeliveryContext,
): Promise<WorkResult> {
  let request = await ensureRequest(ctx, message, message.tier);
  if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'duplicate';
  if (isSupersededAttempt(request, message)) return 'duplicate';
  if (request.batchCount === undefined) {
    const mailboxes = await readInventory(ctx, request.inventory ?? message.inventory);
    const batches = splitIntoBatches(mailboxes, ctx.settings.batchSize);
    const manifests = await mapLimit(batches, 8, async (b) => ({
      batchNumber: b.batchNumber,
      total: b.items.length,
      manifest: (await ctx.ports.artifacts.writeBatchManifest(request.id, b.batchNumber, b.items)).ndjsonBlob,
    }));
    await ctx.ports.requests.ensureBatches(
      manifests.map((m) => ({ requestId: request.id, status: 'queued', succeeded: 0, failed: 0, ...m })),
    );
    const planned = await mutateRequest(
      ctx,
      request.id,
      (c) =>
        decidePlanned(c, {
          batchCount: batches.length,
          total: mailboxes.length,
          functionName: delivery.functionName,
        }),
      { event: `planned ${batches.length} batch(es) of up to ${ctx.settings.batchSize}` },
    );
    if (!planned) return 'rejected';
    request = planned;
    if (isTerminal(request.status)) return request.status === 'cancelled' ? 'cancelled' : 'planned';
  }
  const planned = request;
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

async function readInventory(ctx: AppContext, blobName: string): Promise<MailboxEntry[]> {
  const mailboxes: MailboxEntry[] = [];
  try {
    for await (const entry of ctx.ports.artifacts.readInventory(blobName)) mailboxes.push(entry);
  } catch (err: unknown) {
    if (isTriageError(err, 'not-found')) throw transientFailure(`inventory ${blobName} is missing`);
    throw err;
  }
  return mailboxes;
}
