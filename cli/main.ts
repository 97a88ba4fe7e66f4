#!/usr/bin/env node
/**
 * `triage` — the operator's command line. It talks to the HTTP API only (never to storage), so the trust
 * boundary stays in one place. Exit codes: 0 ok, 1 the API refused or could not be reached, 2 usage.
 */
import { Command, CommanderError } from 'commander';
import { ApiError } from './client';
import { UsageError } from './context';
import { renderProblem } from './output';
import { registerHold } from './commands/hold';
import { registerInventory } from './commands/inventory';
import { registerOrgs } from './commands/orgs';
import { registerPools } from './commands/pools';
import { registerProgramme } from './commands/programme';
import { registerRequests } from './commands/requests';
import { registerWatch } from './commands/watch';

export const exitCodes = { ok: 0, api: 1, usage: 2 } as const;

/** The program, every command registered; `exitOverride` so errors come back here, not `process.exit`. */
export function buildProgram(): Command {
  const program = new Command('triage')
    .description(
      'Operate Triage over its HTTP API: organisations, inventories, requests, pools, the programme.',
    )
    .option('--url <url>', 'the API (env TRIAGE_URL)', process.env.TRIAGE_URL ?? 'http://127.0.0.1:7071')
    .option(
      '--key <key>',
      'function or master key, sent as x-functions-key (env TRIAGE_KEY)',
      process.env.TRIAGE_KEY,
    )
    .option(
      '--token <token>',
      'bearer token, sent as Authorization: Bearer (env TRIAGE_TOKEN)',
      process.env.TRIAGE_TOKEN,
    )
    .option('--json', 'JSON on stdout, for scripts')
    .showHelpAfterError()
    .exitOverride();
  registerOrgs(program);
  registerInventory(program);
  registerRequests(program);
  registerWatch(program);
  registerHold(program);
  registerPools(program);
  registerProgramme(program);
  // Subcommands inherit the override, so a usage error anywhere returns to `run`.
  const inherit = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride();
      sub.showHelpAfterError();
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs one command line and returns its exit code; problems go to stderr (as JSON with --json). */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok;
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? exitCodes.ok
        : exitCodes.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return exitCodes.usage;
    }
    if (err instanceof ApiError) {
      process.stderr.write(
        json
          ? `${JSON.stringify({ error: { status: err.status, message: err.message, errors: err.problems } })}\n`
          : `${renderProblem(err)}\n`,
      );
      return exitCodes.api;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return exitCodes.api;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
