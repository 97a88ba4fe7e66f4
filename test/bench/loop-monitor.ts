/**
 * Preloaded into a stack's host by the priority-flood bench (`NODE_OPTIONS=--require …`): prints the host's
 * event-loop delay once a second, so the bench can tell a busy host from a slow dependency.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
const timer = setInterval(() => {
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  console.log(
    `[loop-delay] p50=${ms(histogram.percentile(50))} p99=${ms(histogram.percentile(99))} max=${ms(histogram.max)}`,
  );
  histogram.reset();
}, 1_000);
timer.unref();
