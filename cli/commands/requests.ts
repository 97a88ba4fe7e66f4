import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { action, pages } from '../command';
import { positiveInt, readJsonFile, show, UsageError, type CliContext } from '../context';
import {
  renderItems,
  renderRequest,
  renderRequestList,
  type ItemView,
  type RequestView,
  type Totals,
} from './requests-view';

const path = (id: string, tail = ''): string => `/api/requests/${encodeURIComponent(id)}${tail}`;

async function submit(ctx: CliContext, body: unknown, idempotencyKey?: string): Promise<void> {
  const accepted = await ctx.client.json<Record<string, string>>('POST', '/api/requests', {
    body,
    ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}),
  });
  show(
    ctx,
    accepted,
    (a) =>
      `${a.id}\t${a.kind} for ${a.orgId} at tier ${a.tier}: ${a.status}\nfollow it: triage watch ${a.id}`,
  );
}

function registerSubmit(program: Command): void {
  const sub = program.command('submit').description("submit a request at the organisation's verified tier");
  sub
    .command('provision')
    .requiredOption('--org <orgId>')
    .requiredOption('--type <resourceType>', 'e.g. vm')
    .requiredOption('--quantity <n>', 'how many', positiveInt('--quantity'))
    .requiredOption('--region <region>', 'e.g. uksouth')
    .option('--hold-until <iso>', 'when it will be given back (used by ETAs)')
    .option('--idempotency-key <key>')
    .action(
      action(
        async (
          ctx,
          o: {
            org: string;
            type: string;
            quantity: number;
            region: string;
            holdUntil?: string;
            idempotencyKey?: string;
          },
        ) =>
          submit(
            ctx,
            {
              kind: 'provision',
              orgId: o.org,
              resource: { type: o.type, quantity: o.quantity, region: o.region },
              ...(o.holdUntil ? { holdUntil: o.holdUntil } : {}),
            },
            o.idempotencyKey,
          ),
      ),
    );
  sub
    .command('migrate')
    .requiredOption('--org <orgId>')
    .option('--inventory <blobName>', 'an inventory from `triage inventory upload`')
    .option('--mailbox <address...>', 'inline mailboxes')
    .option('--mailboxes <file.json>', 'inline mailboxes from a JSON array of {address, sizeBytes?}')
    .option('--idempotency-key <key>')
    .action(
      action(
        async (
          ctx,
          o: {
            org: string;
            inventory?: string;
            mailbox?: string[];
            mailboxes?: string;
            idempotencyKey?: string;
          },
        ) => {
          const sources = [o.inventory, o.mailbox, o.mailboxes].filter((x) => x !== undefined).length;
          if (sources !== 1)
            throw new UsageError('submit migrate needs exactly one of --inventory, --mailbox, --mailboxes');
          const mailboxes = o.mailboxes
            ? await readJsonFile(o.mailboxes)
            : o.mailbox?.map((address) => ({ address }));
          await submit(
            ctx,
            { kind: 'migrate', orgId: o.org, ...(o.inventory ? { inventory: o.inventory } : { mailboxes }) },
            o.idempotencyKey,
          );
        },
      ),
    );
}

export function registerRequests(program: Command): void {
  registerSubmit(program);
  const requests = program
    .command('requests')
    .description('requests: read, list, cancel, retry, release, report');
  requests
    .command('get <id>')
    .action(
      action(async (ctx, id: string) =>
        show(ctx, await ctx.client.json<RequestView>('GET', path(id)), renderRequest),
      ),
    );
  requests
    .command('list')
    .description('newest first, with totals per status and tier')
    .option('--org <orgId>')
    .option('--tier <tier>')
    .option('--status <status>')
    .option('--kind <kind>')
    .option('--limit <n>', 'per page', positiveInt('--limit'))
    .option('--all', 'follow every page')
    .action(
      action(
        async (
          ctx,
          o: { org?: string; tier?: string; status?: string; kind?: string; limit?: number; all?: boolean },
        ) => {
          let totals: Totals | undefined;
          const page = await pages(o.all, async (token) => {
            const p = await ctx.client.json<{
              items: RequestView[];
              continuationToken?: string;
              totals?: Totals;
            }>('GET', '/api/requests', {
              query: {
                orgId: o.org,
                tier: o.tier,
                status: o.status,
                kind: o.kind,
                limit: o.limit,
                continuationToken: token,
              },
            });
            totals ??= p.totals;
            return p;
          });
          show(ctx, { ...page, ...(totals ? { totals } : {}) }, renderRequestList);
        },
      ),
    );
  for (const [verb, what] of [
    ['cancel', 'stop what has not started'],
    ['retry', 're-queue failed items, replay what was dead-lettered'],
    ['release', "give a provisioning's capacity back to its pool"],
  ] as const) {
    requests
      .command(`${verb} <id>`)
      .description(what)
      .action(
        action(async (ctx, id: string) =>
          show(ctx, await ctx.client.json<RequestView>('POST', path(id, `/${verb}`)), renderRequest),
        ),
      );
  }
  requests
    .command('report <id>')
    .description('the CSV report of a finished request')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action(
      action(async (ctx, id: string, o: { output?: string }) => {
        const { body } = await ctx.client.request('GET', path(id, '/report'));
        if (o.output) {
          await writeFile(o.output, String(body));
          ctx.note(`wrote ${o.output}`);
        } else process.stdout.write(String(body));
      }),
    );
  program
    .command('items <id>')
    .description("a migration's items: address, status, attempts, reason")
    .option('--failed')
    .option('--succeeded')
    .option('--pending', 'not run yet, or re-queued')
    .option('--in-progress', 'long-running moves the back-end is running')
    .option('--limit <n>', 'per page', positiveInt('--limit'))
    .option('--all', 'follow every page')
    .action(
      action(
        async (
          ctx,
          id: string,
          o: {
            failed?: boolean;
            succeeded?: boolean;
            pending?: boolean;
            inProgress?: boolean;
            limit?: number;
            all?: boolean;
          },
        ) => {
          const flags = {
            failed: o.failed,
            succeeded: o.succeeded,
            pending: o.pending,
            'in-progress': o.inProgress,
          };
          const chosen = Object.entries(flags).flatMap(([status, set]) => (set ? [status] : []));
          if (chosen.length > 1) {
            throw new UsageError('choose one of --failed, --succeeded, --pending, --in-progress');
          }
          const page = await pages(o.all, (token) =>
            ctx.client.json<{ items: ItemView[]; continuationToken?: string }>('GET', path(id, '/items'), {
              query: { status: chosen[0], limit: o.limit, continuationToken: token },
            }),
          );
          show(ctx, page, renderItems);
        },
      ),
    );
}
