/** What every command gets: the API client, the output mode, and where lines go. */
import { ApiClient } from './client';

export interface GlobalOptions {
  url: string;
  key?: string;
  token?: string;
  json?: boolean;
}

/** A mistake on the command line (exit code 2), found before any call. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliContext {
  client: ApiClient;
  json: boolean;
  /** stdout: results. */
  out(text: string): void;
  /** stderr: notes and progress. */
  note(text: string): void;
  /** Progress bars draw only where a person watches: stderr is a terminal. */
  interactive: boolean;
}

export function createContext(options: GlobalOptions): CliContext {
  return {
    client: new ApiClient({
      url: options.url,
      ...(options.key ? { key: options.key } : {}),
      ...(options.token ? { token: options.token } : {}),
    }),
    json: options.json === true,
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    interactive: process.stderr.isTTY === true,
  };
}

/** Prints `data` as JSON, or as `render` draws it for a person. */
export function show<T>(ctx: CliContext, data: T, render: (data: T) => string): void {
  ctx.out(ctx.json ? JSON.stringify(data, null, 2) : render(data));
}

/** A positive integer option. @throws UsageError naming the option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/** A JSON file's content. @throws UsageError when it cannot be read or parsed. */
export async function readJsonFile(file: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err: unknown) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}
