/**
 * Progress bars on stderr (cli-progress), drawn only when stderr is a terminal: a script that pipes or
 * captures the output gets none of it.
 */
import { createReadStream, statSync } from 'node:fs';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { CliContext } from './context';

export interface Bars {
  create(total: number, start: number, payload: Record<string, string>): SingleBar | undefined;
  remove(bar: SingleBar | undefined): void;
  stop(): void;
}

/** A set of bars (or, off a terminal, nothing at all). */
export function progressBars(ctx: CliContext, format: string): Bars {
  if (!ctx.interactive) return { create: () => undefined, remove: () => undefined, stop: () => undefined };
  const multi = new MultiBar(
    { format, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
    Presets.shades_classic,
  );
  return {
    create: (total, start, payload) => multi.create(total, start, payload),
    remove: (bar) => {
      if (bar) multi.remove(bar);
    },
    stop: () => multi.stop(),
  };
}

/** A file read as a stream whose bytes move a bar, for a streamed upload. */
export function fileWithProgress(
  ctx: CliContext,
  file: string,
  label: string,
): AsyncIterable<Uint8Array> & { done(): void } {
  const total = statSync(file).size;
  const bars = progressBars(ctx, `${label} |{bar}| {percentage}% {value}/{total} bytes`);
  const bar = bars.create(Math.max(1, total), 0, {});
  let sent = 0;
  const iterate = async function* (): AsyncIterable<Uint8Array> {
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      sent += (chunk as Buffer).byteLength;
      bar?.update(sent);
      yield chunk as Buffer;
    }
  };
  return Object.assign(iterate(), { done: () => bars.stop() });
}
