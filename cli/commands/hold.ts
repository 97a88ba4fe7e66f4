import type { Command } from 'commander';
import { action } from '../command';
import { show, UsageError, type CliContext } from '../context';
import { details, table, when } from '../output';
import { holdText, type HoldView } from './requests-view';

/** GET /api/tiers/{tier}/hold's answer: the hold, and what of it still runs. */
interface DrainReport {
  scope: 'tier' | 'org';
  target: string;
  held: boolean;
  hold?: HoldView;
  drained: boolean;
  running: { batches: number; provisionings: number; items: number };
  stale: number;
  parked: number;
  /** Long-running operations the back-end still runs for the parked work (absent from older servers). */
  atBackEnd?: number;
  checkedAt: string;
}

const drainText = (r: DrainReport): string =>
  r.drained
    ? 'drained: nothing of it runs'
    : `${r.running.batches} batch(es) and ${r.running.provisionings} provisioning(s) still running, ${r.running.items} item(s) in flight`;

function renderReport(r: DrainReport): string {
  return details([
    [r.scope, r.target],
    ['held', r.hold ? holdText(r.hold) : 'no'],
    ['drain', drainText(r)],
    ['parked', r.parked],
    [
      'at back-end',
      r.atBackEnd
        ? `${r.atBackEnd} long-running operation(s) still running there (polled on resume)`
        : undefined,
    ],
    ['stale', r.stale > 0 ? `${r.stale} running row(s) with no heartbeat (an instance died?)` : undefined],
    ['checked', when(r.checkedAt)],
  ]);
}

function targetOf(verb: string, o: { tier?: string; org?: string }): string {
  if ((o.tier === undefined) === (o.org === undefined))
    throw new UsageError(`${verb} needs exactly one of --tier, --org`);
  return o.tier !== undefined
    ? `/api/tiers/${encodeURIComponent(o.tier)}`
    : `/api/orgs/${encodeURIComponent(o.org!)}`;
}

/** POST /api/tiers/{tier}/hold or /api/orgs/{orgId}/hold. */
async function hold(ctx: CliContext, o: { tier?: string; org?: string; reason?: string }): Promise<void> {
  const target = targetOf('hold', o);
  // No reason is the API's to refuse (it names the field): the CLI sends what it was given.
  const report = await ctx.client.json<DrainReport>('POST', `${target}/hold`, {
    body: o.reason !== undefined ? { reason: o.reason } : {},
  });
  show(ctx, report, renderReport);
}

/** POST /api/tiers/{tier}/resume or /api/orgs/{orgId}/resume. */
async function resume(ctx: CliContext, o: { tier?: string; org?: string }): Promise<void> {
  const result = await ctx.client.json<{ resumed: HoldView | null; sent: number; report: DrainReport }>(
    'POST',
    `${targetOf('resume', o)}/resume`,
  );
  show(ctx, result, (r) =>
    [
      details([
        ['resumed', r.resumed ? holdText(r.resumed) : 'no hold left (parked work sent again)'],
        ['sent again', r.sent],
      ]),
      renderReport(r.report),
    ].join('\n'),
  );
}

/** GET /api/holds, or one tier's or organisation's drain report. */
async function status(ctx: CliContext, o: { tier?: string; org?: string }): Promise<void> {
  if (o.tier !== undefined || o.org !== undefined) {
    show(ctx, await ctx.client.json<DrainReport>('GET', `${targetOf('hold status', o)}/hold`), renderReport);
    return;
  }
  const { items } = await ctx.client.json<{ items: DrainReport[] }>('GET', '/api/holds');
  show(ctx, { items }, (r) =>
    r.items.length === 0
      ? 'nothing is held'
      : table(
          ['held', 'by', 'since', 'reason', 'drain', 'parked'],
          r.items.map((h) => [
            `${h.scope} ${h.target}`,
            h.hold?.heldBy.name,
            when(h.hold?.since),
            h.hold?.reason,
            drainText(h),
            h.parked,
          ]),
        ),
  );
}

export function registerHold(program: Command): void {
  const holdCommand = program
    .command('hold')
    .description(
      'stop starting work of a tier or an organisation (waiting work keeps its place; running batches stop at their next item boundary)',
    )
    .option('--tier <tier>')
    .option('--org <orgId>')
    .option('--reason <text>', 'why (required; shown in every view with who held it)')
    .action(action((ctx, o: { tier?: string; org?: string; reason?: string }) => hold(ctx, o)));
  holdCommand
    .command('status')
    .description('every hold with its drain report, or one (hold status --tier <t> | --org <id>)')
    // `--tier`/`--org` after `status` are parsed as the parent's options (commander's default).
    .action(async (_options: unknown, command: Command) => {
      const o = command.optsWithGlobals<{ tier?: string; org?: string }>();
      await action((ctx) => status(ctx, o))(command);
    });
  program
    .command('resume')
    .description('let held work start again: parked work is sent again, each remaining item runs once')
    .option('--tier <tier>')
    .option('--org <orgId>')
    .action(action((ctx, o: { tier?: string; org?: string }) => resume(ctx, o)));
}
