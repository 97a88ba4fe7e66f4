/**
 * `npm run bench:broker`: the broker's send → receive → complete throughput in memory and with
 * `--data` (journal + group commit), runs interleaved so both see the same machine load; medians of
 * BENCH_RUNS runs (5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchBrokerThroughput } from './broker-throughput';

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const messages = Number(process.env.BENCH_MESSAGES ?? 10_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const memory: number[] = [];
  const persisted: number[] = [];
  console.log(`broker ${messages} × 1 KB send → receive → complete, ${runs} interleaved runs each`);
  for (let i = 1; i <= runs; i++) {
    const inMemory = await benchBrokerThroughput({ messages, sizeBytes: 1024 });
    memory.push(inMemory.messagesPerSecond);
    const folder = mkdtempSync(path.join(os.tmpdir(), 'bench-broker-data-'));
    try {
      const withData = await benchBrokerThroughput({ messages, sizeBytes: 1024, dataFolder: folder });
      persisted.push(withData.messagesPerSecond);
      console.log(
        `  run ${i}/${runs}: in memory ${inMemory.messagesPerSecond} msg/s (send ${inMemory.sendMs} ms, receive+complete ${inMemory.receiveCompleteMs} ms); ` +
          `--data ${withData.messagesPerSecond} msg/s (send ${withData.sendMs} ms, receive+complete ${withData.receiveCompleteMs} ms)`,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  const a = median(memory);
  const b = median(persisted);
  console.log(`\nmedian in memory: ${a.toFixed(0)} msg/s`);
  console.log(`median --data:    ${b.toFixed(0)} msg/s (${((1 - b / a) * 100).toFixed(0)} % slower)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
