import type { Command } from 'commander';
import { action } from '../command';
import { positiveInt, readJsonFile, show, UsageError, type CliContext } from '../context';
import { details, table, when } from '../output';

interface PoolView {
  poolId: string;
  key: string;
  capacity: number;
  used: number;
  policy?: string;
  usedByTier: Record<string, number>;
  reserved: Record<string, number>;
  availableByTier: Record<string, number>;
  waitingByTier: Record<string, number>;
  admittedNotStarted: number;
}

/** Capacity and, per tier, what it uses, has reserved, could take now and has waiting. */
export function renderPool(p: PoolView): string {
  const tiers = Object.keys(p.availableByTier);
  return [
    details([
      ['pool', p.poolId],
      ['resource', p.key],
      ['capacity', p.capacity],
      ['used', p.used],
      ['policy', p.policy],
      ['admitted, not started', p.admittedNotStarted],
    ]),
    table(
      ['tier', 'used', 'reserved', 'available', 'waiting'],
      tiers.map((t) => [
        t,
        p.usedByTier[t] ?? 0,
        p.reserved[t] ?? 0,
        p.availableByTier[t] ?? 0,
        p.waitingByTier[t] ?? 0,
      ]),
    ),
  ].join('\n');
}

async function putPool(
  ctx: CliContext,
  poolId: string,
  o: {
    file?: string;
    resourceType?: string;
    region?: string;
    capacity?: number;
    reserve?: string[];
    policy?: string;
  },
): Promise<void> {
  let body: unknown;
  if (o.file) body = await readJsonFile(o.file);
  else {
    if (!o.resourceType || !o.region || o.capacity === undefined)
      throw new UsageError('pools put needs --resource-type, --region and --capacity (or --file pool.json)');
    const reserved: Record<string, number> = {};
    for (const entry of o.reserve ?? []) {
      const [tier, amount] = entry.split('=');
      if (!tier || !amount || !/^\d+$/.test(amount))
        throw new UsageError(`--reserve takes tier=amount, got "${entry}"`);
      reserved[tier] = Number(amount);
    }
    body = {
      resourceType: o.resourceType,
      region: o.region,
      capacity: o.capacity,
      reserved,
      ...(o.policy ? { policy: o.policy } : {}),
    };
  }
  show(
    ctx,
    await ctx.client.json<PoolView>('PUT', `/api/pools/${encodeURIComponent(poolId)}`, { body }),
    renderPool,
  );
}

export function registerPools(program: Command): void {
  const pools = program.command('pools').description('capacity pools');
  pools
    .command('put <poolId>')
    .description('declare or change a pool (admin key)')
    .option('--resource-type <type>')
    .option('--region <region>')
    .option('--capacity <n>', 'units', (v) => {
      if (!/^\d+$/.test(v)) throw new UsageError(`--capacity must be a whole number, got "${v}"`);
      return Number(v);
    })
    .option('--reserve <tier=amount...>', 'headroom withheld from lower tiers')
    .option('--policy <strict|backfill>')
    .option('--file <pool.json>', 'the whole body from a file (with a schedule, say)')
    .action(action(putPool));
  pools
    .command('get <poolId>')
    .action(
      action(async (ctx, poolId: string) =>
        show(
          ctx,
          await ctx.client.json<PoolView>('GET', `/api/pools/${encodeURIComponent(poolId)}`),
          renderPool,
        ),
      ),
    );
  pools.command('list').action(
    action(async (ctx) =>
      show(ctx, await ctx.client.json<{ items: PoolView[] }>('GET', '/api/pools'), (r) =>
        table(
          ['pool', 'resource', 'capacity', 'used', 'waiting'],
          r.items.map((p) => [
            p.poolId,
            p.key,
            p.capacity,
            p.used,
            Object.values(p.waitingByTier).reduce((a, b) => a + b, 0),
          ]),
        ),
      ),
    ),
  );
  pools
    .command('queue <poolId>')
    .description('the waiting line, next first, with ETAs and reasons')
    .option('--limit <n>', 'how many', positiveInt('--limit'))
    .action(
      action(async (ctx, poolId: string, o: { limit?: number }) => {
        const line = await ctx.client.json<{ items: Array<Record<string, string | number | null>> }>(
          'GET',
          `/api/pools/${encodeURIComponent(poolId)}/queue`,
          { query: { limit: o.limit } },
        );
        show(ctx, line, (l) =>
          table(
            ['#', 'request', 'org', 'tier', 'quantity', 'waiting since', 'ETA', 'reason'],
            l.items.map((q) => [
              q.position,
              q.requestId,
              q.orgId,
              q.tier,
              q.quantity,
              when(q.waitingSince),
              when(q.eta) || 'none expected',
              q.reason,
            ]),
          ),
        );
      }),
    );
}
