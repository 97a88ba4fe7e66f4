import { ServiceBusClient } from '@azure/service-bus';
import { startBroker, type RunningBroker } from '../../local/servicebus/broker';
import { topology } from '../../shared/topology';
import { defineContractScenarios, newRunId, type ContractContext } from './scenarios';

describe('Service Bus contract — local broker', () => {
  let broker: RunningBroker;
  let context: ContractContext;

  beforeAll(async () => {
    broker = await startBroker({
      topology,
      port: 0,
      metricsPort: null,
      log: process.env.BROKER_LOG ? (l) => process.stderr.write(l + '\n') : undefined,
    });
    context = { client: new ServiceBusClient(broker.connectionString), runId: newRunId() };
  });

  afterAll(async () => {
    await context?.client.close();
    await broker?.close();
  });

  defineContractScenarios(() => context);

  test('leaves every subscription empty afterwards (each scenario settled what it sent)', () => {
    const leftovers = broker.entityCounts().filter((e) => e.active + e.scheduled + e.deadLettered > 0);
    expect(leftovers).toEqual([]);
  });
});

const realConnection = process.env.SERVICEBUS_CONTRACT_CONNECTION;
if (!realConnection) {
  console.info(
    'Service Bus contract against a real namespace: skipped (set SERVICEBUS_CONTRACT_CONNECTION to a namespace or the official emulator whose entities follow infra/topology.json)',
  );
}
// Skipped only when no namespace is configured: the same scenarios then run against it.
const describeAgainstNamespace = realConnection ? describe : describe.skip;

describeAgainstNamespace('Service Bus contract — against a real namespace', () => {
  let context: ContractContext;

  beforeAll(() => {
    context = { client: new ServiceBusClient(realConnection ?? ''), runId: newRunId() };
  });

  afterAll(async () => {
    await context?.client.close();
  });

  defineContractScenarios(() => context);
});
