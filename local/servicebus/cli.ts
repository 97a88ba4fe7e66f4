/**
 * `node dist/local/servicebus/cli.js [--port 5672] [--metrics-port 5673] [--entities file.json]
 * [--max-message-size 262144] [--data <folder>] [--redeliver-completed-once] [--verbose]` — runs the local
 * Service Bus–compatible broker until SIGINT/SIGTERM. State is in memory unless --data keeps it in a folder.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { topology } from '../../shared/topology';
import { defaultPorts } from '../endpoints';
import { parsePortOption } from '../ports';
import { extraEntitiesSchema, startBroker, type ExtraEntities } from './broker';
import { ensureError } from '../../shared/domain/errors';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function readEntities(file: string): ExtraEntities {
  const document: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const result = extraEntitiesSchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TypeError(`invalid entities file ${file}:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('servicebus-broker')
    .description('Local Service Bus–compatible AMQP 1.0 broker (development and tests only)')
    .option('--port <port>', 'AMQP port (0 = a free port)', parsePortOption, defaultPorts.serviceBus)
    .option(
      '--metrics-port <port>',
      'HTTP metrics port (0 = a free port)',
      parsePortOption,
      defaultPorts.serviceBusMetrics,
    )
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--entities <file>', 'JSON file with extra queues/topics/subscriptions')
    .option('--max-message-size <bytes>', 'largest accepted message or batch', positiveInteger, 256 * 1024)
    .option('--data <folder>', 'keep messages, schedules, dead-letters and duplicate ids in this folder')
    .option(
      '--redeliver-completed-once',
      'fault injection: redeliver each message once after its first completion',
    )
    .option('--verbose', 'log link attachments and refusals')
    .parse();
  const opts = program.opts<{
    port: number;
    metricsPort: number;
    host: string;
    entities?: string;
    maxMessageSize: number;
    data?: string;
    redeliverCompletedOnce?: boolean;
    verbose?: boolean;
  }>();

  const broker = await startBroker({
    topology,
    port: opts.port,
    host: opts.host,
    metricsPort: opts.metricsPort,
    extraEntities: opts.entities ? readEntities(opts.entities) : undefined,
    maxMessageSizeInBytes: opts.maxMessageSize,
    dataFolder: opts.data,
    faults: { redeliverCompletedOnce: opts.redeliverCompletedOnce === true },
    log: opts.verbose ? (line) => console.log(line) : undefined,
  });
  console.log(
    `servicebus broker listening on amqp://${opts.host}:${broker.port} (metrics ${broker.metricsUrl ?? 'disabled'}; ${opts.data ? `state kept in ${opts.data}` : 'state in memory'})`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`servicebus broker stopping (${signal})`);
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`servicebus broker failed to stop cleanly: ${ensureError(err).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Fault injection (the fault suite): every client connection cut, the broker and its state kept.
  process.on('SIGUSR2', () =>
    console.log(`servicebus broker dropped ${broker.dropConnections()} connection(s)`),
  );
}

main().catch((err: unknown) => {
  console.error(`servicebus broker: ${ensureError(err).message}`);
  process.exit(1);
});
