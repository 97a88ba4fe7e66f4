import type { Command } from 'commander';
import { action } from '../command';
import { show, UsageError } from '../context';
import { details } from '../output';
import { fileWithProgress } from '../progress';

export function registerInventory(program: Command): void {
  const inventory = program.command('inventory').description('mailbox inventories');
  inventory
    .command('upload <file.csv>')
    .description(
      'stream an Exchange migration CSV (EmailAddress[,SizeBytes]) to the API; bad rows are listed with their line',
    )
    .requiredOption('--org <orgId>', 'the organisation it belongs to')
    .action(
      action(async (ctx, file: string, o: { org: string }) => {
        let body;
        try {
          body = fileWithProgress(ctx, file, 'upload');
        } catch (err: unknown) {
          throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
        }
        try {
          const result = await ctx.client.json<{ blobName: string; rowCount: number }>(
            'POST',
            '/api/inventories',
            {
              query: { orgId: o.org },
              body,
              contentType: 'text/csv',
            },
          );
          show(ctx, result, (r) =>
            details([
              ['inventory', r.blobName],
              ['rows', r.rowCount],
              ['next', `triage submit migrate --org ${o.org} --inventory ${r.blobName}`],
            ]),
          );
        } finally {
          // Bad rows come back as the problem's fields (`line 7: EmailAddress`): the problem renderer lists them.
          body.done();
        }
      }),
    );
}
