/**
 * `npm start`: the whole pipeline on this machine — Azurite, the Service Bus–compatible broker and the
 * local Functions host — with no Azure account, no Docker and no Core Tools. Ctrl-C stops all three.
 */
import { Command } from 'commander';
import { defaultPorts } from './endpoints';
import { parsePortOption } from './ports';
import { startLocalStack, type LocalStack } from './stack';
import { authBanner, defaultIssuerPort, parseAuthOption } from './token-issuer';

async function main(): Promise<void> {
  const program = new Command()
    .name('npm start --')
    .description('Runs Azurite, the local Service Bus broker and the Functions host together.')
    .option('--port <port>', 'Functions host HTTP port', parsePortOption, defaultPorts.functionsHost)
    .option(
      '--azurite-port <port>',
      'Azurite Blob port (Queue and Table use the next two)',
      parsePortOption,
      defaultPorts.blob,
    )
    .option(
      '--servicebus-port <port>',
      'Service Bus broker AMQP port',
      parsePortOption,
      defaultPorts.serviceBus,
    )
    .option(
      '--metrics-port <port>',
      'Service Bus broker metrics HTTP port',
      parsePortOption,
      defaultPorts.serviceBusMetrics,
    )
    .option(
      '--data <folder>',
      "keep Azurite's data and the broker's messages in this folder across restarts (default: in memory)",
    )
    .option('--enforce-keys', 'require function keys as Azure does (off by default, like Core Tools)', false)
    .option('--quiet', 'do not echo each invocation log line', false)
    .option(
      '--allow-unsupported-bindings',
      'start even if a function uses a binding the local host does not serve (that function then fails every invocation)',
      false,
    )
    .option(
      '--auth <on|off>',
      'on: bearer tokens from the local issuer; off: open mode',
      parseAuthOption,
      'on',
    )
    .option('--issuer-port <port>', 'local token issuer HTTP port', parsePortOption, defaultIssuerPort)
    .parse(process.argv);
  const options = program.opts<{
    port: number;
    azuritePort: number;
    servicebusPort: number;
    metricsPort: number;
    data?: string;
    enforceKeys: boolean;
    quiet: boolean;
    allowUnsupportedBindings: boolean;
    auth: 'on' | 'off';
    issuerPort: number;
  }>();

  const startedAt = performance.now();
  let ready = false;
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      hostPort: options.port,
      azuritePort: options.azuritePort,
      serviceBusPort: options.servicebusPort,
      metricsPort: options.metricsPort,
      dataFolder: options.data,
      enforceKeys: options.enforceKeys,
      allowUnsupportedBindings: options.allowUnsupportedBindings,
      auth: options.auth,
      issuerPort: options.issuerPort,
      log: (line) => {
        // Before the stack is ready only the host's function list is worth showing; after it, invocations.
        if (line.startsWith('[azurite]')) return;
        if (ready && options.quiet) return;
        if (ready || line.startsWith('[host]')) console.log(line);
      },
    });
  } catch (err) {
    console.error(`\nThe local stack could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return;
  }
  ready = true;
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(
    [
      '',
      'Triage local stack',
      `  Functions host   ${stack.hostUrl}/api/   (try ${stack.hostUrl}/api/health)`,
      `  Service Bus      amqp://127.0.0.1:${stack.serviceBusPort}   entity counts: ${stack.serviceBusMetricsUrl}`,
      `  Storage          Azurite blob :${stack.azurite.blobPort}  queue :${stack.azurite.queuePort}  table :${stack.azurite.tablePort}   ${options.data ? `data in ${options.data}` : 'in memory'}`,
      options.data
        ? `  State (storage and broker) is kept in ${options.data}: stop and start again with the same folder to continue.`
        : `  State is in memory: it is lost when the stack stops (keep it with --data <folder>).`,
      ...authBanner(stack.tokenIssuer, stack.hostUrl),
      '',
      `Ready in ${seconds} s. Press Ctrl-C to stop.`,
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the host, the broker and Azurite…`);
    await stack?.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  stack.host.process.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`The Functions host exited unexpectedly (code ${code}, signal ${signal}); stopping.`);
      void stop('host exit');
    }
  });
}

void main();
