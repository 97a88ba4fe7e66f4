import type { Command } from 'commander';
import { action, pages } from '../command';
import { positiveInt, readJsonFile, show, UsageError, type CliContext } from '../context';
import { details, table, when } from '../output';
import { fileWithProgress } from '../progress';

type Org = Record<string, unknown> & { orgId: string };
interface ImportResult {
  imported: number;
  rowCount: number;
}

const orgDetails = (o: Org): string =>
  details([
    ['orgId', o.orgId],
    ['name', o.name as string],
    ['sector', o.sector as string],
    ['tier', o.tier as string],
    ['served at', o.servedTier as string],
    ['registered', o.registered as boolean],
    ['evidence', o.evidence as string],
    ['tier expires', when(o.tierExpiresAt)],
    ['webhook', (o.notify as { webhookUrl?: string } | undefined)?.webhookUrl],
    ['updated', when(o.updatedAt)],
  ]);

async function putOrg(
  ctx: CliContext,
  orgId: string,
  o: {
    file?: string;
    name?: string;
    sector?: string;
    tier?: string;
    evidence?: string;
    expires?: string;
    webhook?: string;
  },
): Promise<void> {
  const body = o.file
    ? await readJsonFile(o.file)
    : {
        name: o.name,
        sector: o.sector,
        tier: o.tier,
        ...(o.evidence ? { evidence: o.evidence } : {}),
        ...(o.expires ? { tierExpiresAt: o.expires } : {}),
        ...(o.webhook ? { notify: { webhookUrl: o.webhook } } : {}),
      };
  if (!o.file && (!o.name || !o.sector || !o.tier))
    throw new UsageError('orgs put needs --name, --sector and --tier (or --file org.json)');
  show(
    ctx,
    await ctx.client.json<Org>('PUT', `/api/orgs/${encodeURIComponent(orgId)}`, { body }),
    orgDetails,
  );
}

export function registerOrgs(program: Command): void {
  const orgs = program.command('orgs').description('the organisation registry');
  orgs
    .command('put <orgId>')
    .description('register or change an organisation (admin key)')
    .option('--name <name>')
    .option('--sector <sector>')
    .option('--tier <tier>')
    .option('--evidence <text>', 'who verified the tier, and how (required above the default tier)')
    .option('--expires <iso>', 'served at the default tier after this time')
    .option('--webhook <url>', 'where notifications are POSTed')
    .option('--file <org.json>', 'the whole body from a file')
    .action(action(putOrg));
  orgs
    .command('get <orgId>')
    .action(
      action(async (ctx, orgId: string) =>
        show(ctx, await ctx.client.json<Org>('GET', `/api/orgs/${encodeURIComponent(orgId)}`), orgDetails),
      ),
    );
  orgs
    .command('list')
    .description('the registry, in orgId order')
    .option('--tier <tier>')
    .option('--ready <true|false>', 'by reported readiness')
    .option('--limit <n>', 'per page', positiveInt('--limit'))
    .option('--all', 'follow every page')
    .action(
      action(async (ctx, o: { tier?: string; ready?: string; limit?: number; all?: boolean }) => {
        const page = await pages(o.all, (token) =>
          ctx.client.json<{ items: Org[]; continuationToken?: string }>('GET', '/api/orgs', {
            query: { tier: o.tier, ready: o.ready, limit: o.limit, continuationToken: token },
          }),
        );
        show(ctx, page, (p) =>
          [
            table(
              ['orgId', 'name', 'sector', 'tier', 'served at', 'ready', 'updated'],
              p.items.map((x) => [
                x.orgId,
                x.name as string,
                x.sector as string,
                x.tier as string,
                x.servedTier as string,
                x.ready === undefined ? '' : x.ready ? 'yes' : `no: ${(x.failing as string[]).join(', ')}`,
                when(x.updatedAt),
              ]),
            ),
            ...(p.continuationToken ? ['more: add --all for every page'] : []),
          ].join('\n'),
        );
      }),
    );
  orgs
    .command('audit <orgId>')
    .description('who changed the tier, when, and why (admin key)')
    .action(
      action(async (ctx, orgId: string) => {
        const audit = await ctx.client.json<{ items: Array<Record<string, string>> }>(
          'GET',
          `/api/orgs/${encodeURIComponent(orgId)}/audit`,
        );
        show(ctx, audit, (a) =>
          table(
            ['at', 'actor', 'action', 'from', 'to', 'evidence'],
            a.items.map((e) => [when(e.at), e.actor, e.action, e.fromTier, e.toTier, e.evidence]),
          ),
        );
      }),
    );
  orgs
    .command('import <file.csv>')
    .description('bulk registration: orgId,name,sector,tier,evidence[,check columns] (streamed)')
    .action(
      action(async (ctx, file: string) => {
        const body = fileWithProgress(ctx, file, 'import');
        try {
          const result = await ctx.client.json<ImportResult>('POST', '/api/orgs/import', {
            body,
            contentType: 'text/csv',
          });
          show(ctx, result, (r) =>
            details([
              ['imported', r.imported],
              ['rows', r.rowCount],
            ]),
          );
        } finally {
          body.done();
        }
      }),
    );
}
