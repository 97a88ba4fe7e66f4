import { isTriageError, TriageError } from '../../domain/errors';
import type { MigrateBatchMessage, MigrateMessage, ProvisionMessage } from '../../domain/messages';
import type { RequestRecord } from '../../domain/records';
import type { AppContext } from '../context';
import { trackActivity } from './activity';
import { recordEvent } from './history';

/**
 * The request a work message belongs to, created from the message when a trusted producer published
 * straight to the topic (the intake never saw it). A concurrent delivery that created it first wins.
 * @throws TriageError `not-found` for a batch message of an unknown request (batches exist only after planning).
 */
export async function ensureRequest(
  ctx: AppContext,
  message: ProvisionMessage | MigrateMessage | MigrateBatchMessage,
  tier: string,
): Promise<RequestRecord> {
  const existing = await ctx.ports.requests.get(message.requestId);
  if (existing) return existing;
  if (message.kind === 'migrate-batch') {
    throw new TriageError('not-found', `batch message for unknown request ${message.requestId}`);
  }
  const at = ctx.now();
  const record: RequestRecord = {
    id: message.requestId,
    kind: message.kind,
    orgId: message.orgId,
    tier,
    status: 'received',
    createdAt: at,
    updatedAt: at,
    ...(message.kind === 'provision' ? { resource: message.resource } : { inventory: message.inventory }),
    batchesCompleted: 0,
    total: message.kind === 'provision' ? 1 : 0,
    succeeded: 0,
    failed: 0,
    retryCount: 0,
  };
  try {
    const created = await ctx.ports.requests.create(record);
    await trackActivity(ctx, created);
    await recordEvent(ctx, created, {
      type: 'status',
      status: 'received',
      message: 'published directly by a trusted producer',
    });
    return created;
  } catch (err: unknown) {
    if (!isTriageError(err, 'conflict')) throw err;
    return (await ctx.ports.requests.get(message.requestId)) ?? record;
  }
}
