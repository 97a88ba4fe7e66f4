/** How a command's action gets its context: the global options, merged once, for every subcommand. */
import type { Command } from 'commander';
import { createContext, type CliContext, type GlobalOptions } from './context';

/** Wraps an action so it receives the CLI context, then its arguments and options as commander parses them. */
export function action<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const ctx = createContext(command.optsWithGlobals<GlobalOptions>());
    await fn(ctx, ...(args.slice(0, -1) as A));
  };
}

/** Follows continuation tokens while `all` is set; otherwise one page. */
export async function pages<T>(
  all: boolean | undefined,
  fetchPage: (token: string | undefined) => Promise<{ items: T[]; continuationToken?: string }>,
): Promise<{ items: T[]; continuationToken?: string }> {
  const first = await fetchPage(undefined);
  if (!all) return first;
  const items = [...first.items];
  let token = first.continuationToken;
  while (token) {
    const next = await fetchPage(token);
    items.push(...next.items);
    token = next.continuationToken;
  }
  return { items };
}
