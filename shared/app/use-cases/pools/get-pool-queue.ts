import { TriageError } from '../../../domain/errors';
import { holdOn, type Hold } from '../../../domain/holds';
import {
  continuationTokenSchema,
  defaultPageLimit,
  pageLimitSchema,
  presentParameters,
} from '../../../domain/queries';
import { parseOrThrow } from '../../../domain/requests';
import { tierTable } from '../../../domain/scheduling/capacity';
import { capacityLine } from '../../../domain/scheduling/capacity-line';
import { asCapacityClaim, asHolding } from '../../../domain/scheduling/pool-claims';
import { poolIdSchema } from '../../../domain/scheduling/pool-schema';
import { z } from 'zod';
import type { AppContext } from '../../context';

export interface QueueItem {
  position: number;
  requestId: string;
  orgId: string;
  tier: string;
  quantity: number;
  waitingSince: string;
  eta: string | null;
  etaComputedAt: string | null;
  reason: string | null;
  /** Held (its tier or organisation): it keeps this place but is not admitted until resumed. */
  hold?: Hold;
}

const querySchema = z.strictObject({
  limit: pageLimitSchema.optional(),
  continuationToken: continuationTokenSchema.optional(),
});

const encodeOffset = (n: number): string => Buffer.from(`o:${n}`, 'utf8').toString('base64url');
function decodeOffset(token: string): number {
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) {
    throw new TriageError('validation', 'invalid continuationToken', {
      fields: [{ field: 'continuationToken', message: 'not a token from a previous page' }],
    });
  }
  return Number(match[1]);
}

/**
 * GET /api/pools/{poolId}/queue — the waiting line in the order it is served (position 1 is next), with
 * each claim's last forecast ETA and reason. One partition read.
 * @throws TriageError `validation` naming the bad parameter; `not-found` for an unknown pool.
 */
export async function getPoolQueue(
  ctx: AppContext,
  poolId: unknown,
  query: Record<string, string | undefined>,
): Promise<{ items: QueueItem[]; continuationToken?: string }> {
  const id = parseOrThrow(poolIdSchema, poolId, 'pool id', 'poolId');
  const parsed = parseOrThrow(querySchema, presentParameters(query), 'query');
  const limit = parsed.limit ?? defaultPageLimit;
  const offset = parsed.continuationToken ? decodeOffset(parsed.continuationToken) : 0;
  const [ledger, rows, holds] = await Promise.all([
    ctx.ports.pools.getLedger(id),
    ctx.ports.pools.listClaims(id),
    ctx.ports.holds.listHolds(),
  ]);
  if (!ledger) throw new TriageError('not-found', `no pool "${id}"`);
  const byId = new Map(rows.map((r) => [r.requestId, r]));
  const line = capacityLine(
    rows.filter((r) => r.state !== 'waiting').map(asHolding),
    rows.filter((r) => r.state === 'waiting').map(asCapacityClaim),
    ctx.tierPolicies,
    tierTable(ctx.tierPolicies),
    ctx.clock().getTime(),
  );
  const items = line.slice(offset, offset + limit).map((entry, i): QueueItem => {
    const row = byId.get(entry.claim.id)!;
    const hold = holdOn(holds, row);
    return {
      position: offset + i + 1,
      requestId: row.requestId,
      orgId: row.orgId,
      tier: row.tier,
      quantity: row.quantity,
      waitingSince: new Date(row.arrivedAtMs).toISOString(),
      eta: row.etaMs === undefined || row.etaMs === null ? null : new Date(row.etaMs).toISOString(),
      etaComputedAt: row.etaComputedAtMs === undefined ? null : new Date(row.etaComputedAtMs).toISOString(),
      reason: row.reason ?? null,
      ...(hold ? { hold } : {}),
    };
  });
  return {
    items,
    ...(offset + limit < line.length ? { continuationToken: encodeOffset(offset + limit) } : {}),
  };
}
