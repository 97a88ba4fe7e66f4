import type { Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import { action } from '../command';
import { positiveInt, show, type CliContext } from '../context';
import { progressBars } from '../progress';
import { renderRequest, waitingText, type RequestView } from './requests-view';

const finalStatuses = new Set(['completed', 'completed-with-errors', 'failed', 'cancelled']);
/** Batch bars drawn at once: a 500-batch migration shows the ones in flight, not 500 lines. */
const maxBatchBars = 8;

/**
 * Follows a request until it is final: on a terminal, a bar overall and one per open batch, with the
 * status (and position and ETA while it waits); elsewhere one line per status change. Then the request.
 */
async function watch(ctx: CliContext, id: string, o: { interval: number; timeout?: number }): Promise<void> {
  const bars = progressBars(ctx, '{label} |{bar}| {percentage}% {value}/{total} {status}');
  const overall = bars.create(1, 0, { label: 'overall   ', status: '' });
  const batchBars = new Map<number, SingleBar | undefined>();
  const deadline = o.timeout === undefined ? Infinity : Date.now() + o.timeout * 1000;
  let last = '';
  let view: RequestView;
  try {
    for (;;) {
      view = await ctx.client.json<RequestView>('GET', `/api/requests/${encodeURIComponent(id)}`);
      const done = view.progress.succeeded + view.progress.failed;
      const status = [view.status, waitingText(view)].filter(Boolean).join(': ');
      overall?.setTotal(Math.max(1, view.progress.total));
      overall?.update(done, { status });
      for (const batch of view.batches ?? []) {
        const open = batch.status !== 'completed' && batch.status !== 'cancelled';
        if (open && !batchBars.has(batch.batchNumber) && batchBars.size < maxBatchBars) {
          batchBars.set(
            batch.batchNumber,
            bars.create(batch.total, 0, { label: batch.name, status: batch.status }),
          );
        }
        if (!open && batchBars.has(batch.batchNumber)) {
          bars.remove(batchBars.get(batch.batchNumber));
          batchBars.delete(batch.batchNumber);
        }
        batchBars.get(batch.batchNumber)?.update(batch.succeeded + batch.failed, { status: batch.status });
      }
      if (!ctx.interactive && !ctx.json && status !== last)
        ctx.out(`${new Date().toISOString()} ${status} ${done}/${view.progress.total}`);
      last = status;
      if (finalStatuses.has(view.status)) break;
      if (Date.now() > deadline) {
        bars.stop();
        ctx.note(`still ${view.status} after ${o.timeout} s; stopped watching`);
        process.exitCode = 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, o.interval));
    }
  } finally {
    bars.stop();
  }
  show(ctx, view, renderRequest);
}

export function registerWatch(program: Command): void {
  program
    .command('watch <id>')
    .description('follow a request until it is final (progress bars on a terminal)')
    .option('--interval <ms>', 'between polls', positiveInt('--interval'), 1000)
    .option('--timeout <seconds>', 'give up after this long (exit code 1)', positiveInt('--timeout'))
    .action(action(watch));
}
