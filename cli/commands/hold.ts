import type { Command } from 'commander';
import { action } from '../command';
import { show, UsageError, type CliContext } from '../context';
import { details } from '../output';

/** POST /api/tiers/{tier}/hold|resume or /api/orgs/{orgId}/hold|resume. */
async function holdOrResume(
  ctx: CliContext,
  verb: 'hold' | 'resume',
  o: { tier?: string; org?: string; reason?: string },
): Promise<void> {
  if ((o.tier === undefined) === (o.org === undefined))
    throw new UsageError(`${verb} needs exactly one of --tier, --org`);
  const target =
    o.tier !== undefined
      ? `/api/tiers/${encodeURIComponent(o.tier)}`
      : `/api/orgs/${encodeURIComponent(o.org!)}`;
  const result = await ctx.client.json('POST', `${target}/${verb}`, {
    body: o.reason ? { reason: o.reason } : {},
  });
  show(ctx, result, (r) =>
    details(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string),
      ]),
    ),
  );
}

export function registerHold(program: Command): void {
  for (const verb of ['hold', 'resume'] as const) {
    program
      .command(verb)
      .description(
        verb === 'hold'
          ? 'stop starting work of a tier or an organisation (waiting work keeps its place; running batches stop at their next checkpoint)'
          : 'let held work start again',
      )
      .option('--tier <tier>')
      .option('--org <orgId>')
      .option('--reason <text>', 'shown in every view with who held it')
      .action(
        action((ctx, o: { tier?: string; org?: string; reason?: string }) => holdOrResume(ctx, verb, o)),
      );
  }
}
