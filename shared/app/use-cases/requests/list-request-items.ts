import { TriageError } from '../../../domain/errors';
import {
  batchItems,
  batchMayHold,
  itemListingQuerySchema,
  needsManifest,
  type ItemCursor,
  type ItemView,
} from '../../../domain/item-listing';
import { defaultPageLimit, presentParameters } from '../../../domain/queries';
import type { Principal } from '../../../domain/identity/principal';
import { parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { visibleRequest } from '../../views/visible-request';

/** Item partitions one page reads at most: a page of a 2-million-item request stays bounded. */
const maxBatchesPerPage = 20;

export interface ItemPage {
  items: ItemView[];
  continuationToken?: string;
}

const encodeCursor = (c: ItemCursor): string =>
  Buffer.from(`i:${c.batch}:${c.index}`, 'utf8').toString('base64url');

function decodeCursor(token: string): ItemCursor {
  const match = /^i:(\d{1,9}):(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) {
    throw new TriageError('validation', 'invalid continuationToken', {
      fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
    });
  }
  return { batch: Number(match[1]), index: Number(match[2]) };
}

/**
 * GET /api/requests/{id}/items?status=failed|succeeded|pending&limit=&continuationToken= — a migration's
 * items in batch and manifest order, with address, status, attempts and reason. Each batch costs one
 * partition read of its items (plus its manifest blob for `pending` or no status); completed batches
 * whose counters say they hold none are skipped, and a page reads at most 20 batches (it may then be
 * short, with a token to follow).
 * @throws TriageError `validation` naming the bad parameter; `not-found` for an unknown request or one the
 *   caller may not see.
 */
export async function listRequestItems(
  ctx: AppContext,
  caller: Principal,
  id: unknown,
  query: Record<string, string | undefined>,
): Promise<ItemPage> {
  const parsed = parseOrThrow(itemListingQuerySchema, presentParameters(query), 'query');
  const limit = parsed.limit ?? defaultPageLimit;
  const cursor = parsed.continuationToken ? decodeCursor(parsed.continuationToken) : { batch: 1, index: 0 };
  const request = await visibleRequest(ctx, caller, 'requests:read', id);
  const requestId = request.id;
  if (request.kind !== 'migrate') return { items: [] };

  const batches = (await ctx.ports.requests.listBatches(requestId)).filter(
    (b) => b.batchNumber >= cursor.batch && batchMayHold(b, parsed.status),
  );
  const items: ItemView[] = [];
  for (const [position, batch] of batches.entries()) {
    const resumeAt = { batch: batch.batchNumber, index: 0 };
    if (position === maxBatchesPerPage || items.length === limit) {
      return { items, continuationToken: encodeCursor(resumeAt) };
    }
    const fromIndex = batch.batchNumber === cursor.batch ? cursor.index : 0;
    const [rows, manifest] = await Promise.all([
      ctx.ports.items.list(requestId, batch.batchNumber),
      needsManifest(parsed.status)
        ? ctx.ports.artifacts.readBatchManifest(requestId, batch.batchNumber)
        : Promise.resolve(null),
    ]);
    const found = batchItems(batch.batchNumber, manifest, rows, parsed.status, fromIndex);
    const room = limit - items.length;
    items.push(...found.slice(0, room));
    if (found.length > room) {
      return { items, continuationToken: encodeCursor({ ...resumeAt, index: found[room]!.index }) };
    }
  }
  return { items };
}
