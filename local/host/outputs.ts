/**
 * Output bindings, delivered the way the real host does after a function succeeds: Service Bus queue
 * and topic outputs (one message, or one per array element), Blob outputs and Table outputs, each
 * through the binding's `connection` app setting. A delivery failure fails the invocation (so a
 * Service Bus trigger's message is abandoned), as it does in Azure.
 */
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import type { RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from './functions-core';
import type { FunctionRegistration } from './registrations';
import { createServiceBusClient } from './service-bus';

export interface OutputDeliveryOptions {
  getSetting: (name: string) => string | undefined;
  /** `%setting%` references resolved. */
  resolveSetting: (value: string) => string;
}

/** A value the function produced for one output binding, converted from rpc data. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (typeof data.string === 'string') return data.string;
  if (typeof data.json === 'string') return JSON.parse(data.json) as unknown;
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.int === 'number') return data.int;
  if (typeof data.double === 'number') return data.double;
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  if (data.collectionDouble?.double) return data.collectionDouble.double;
  if (data.collectionSint64?.sint64) return data.collectionSint64.sint64;
  return undefined;
}

const dateTimeText = (now: Date): string =>
  now
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d{3}Z$/, 'Z');

/**
 * Resolves `{name}` binding expressions from the trigger's binding data (case-insensitive), plus
 * `{rand-guid}` and `{DateTime}` as the host does.
 * @throws Error naming the parameter when the binding data has no such value.
 */
export function resolveBindingExpression(
  template: string,
  bindingData: Record<string, unknown>,
  now = new Date(),
): string {
  const byLowerName = new Map(Object.entries(bindingData).map(([k, v]) => [k.toLowerCase(), v]));
  return template.replace(/\{([^{}]+)\}/g, (_, raw: string) => {
    const name = raw.trim();
    if (name.toLowerCase() === 'rand-guid') return randomUUID();
    if (name.toLowerCase() === 'datetime') return dateTimeText(now);
    const value = byLowerName.get(name.toLowerCase());
    if (value === undefined || value === null) throw new Error(`No value for named parameter '${name}'.`);
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

function messageFrom(value: unknown): ServiceBusMessage {
  if (Buffer.isBuffer(value)) return { body: value };
  if (typeof value === 'string') return { body: Buffer.from(value, 'utf8') };
  // Objects and numbers travel as JSON text, labelled as such, as the host serialises them.
  return { body: Buffer.from(JSON.stringify(value), 'utf8'), contentType: 'application/json' };
}

/** Delivers the outputs of successful invocations; one instance per host, caching its clients. */
export class OutputDelivery {
  readonly #options: OutputDeliveryOptions;
  readonly #serviceBusClients = new Map<string, ServiceBusClient>();
  readonly #senders = new Map<string, ServiceBusSender>();

  constructor(options: OutputDeliveryOptions) {
    this.#options = options;
  }

  /** True when the function declares an output the host delivers (besides http). */
  static hasDeliverableOutputs(registration: FunctionRegistration): boolean {
    return Object.values(registration.bindings).some(
      (b) => b.direction === 'out' && String(b.type).toLowerCase() !== 'http',
    );
  }

  /**
   * Sends every non-http output the invocation produced.
   * @throws Error naming the function and binding when a delivery fails.
   */
  async deliver(
    registration: FunctionRegistration,
    response: RpcInvocationResponse,
    bindingData: Record<string, unknown>,
  ): Promise<void> {
    for (const [name, binding] of Object.entries(registration.bindings)) {
      const type = String(binding.type).toLowerCase();
      if (binding.direction !== 'out' || type === 'http') continue;
      const data =
        name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      const value = fromTypedData(data);
      if (value === undefined || value === null) continue;
      try {
        if (type === 'servicebus') await this.#sendServiceBus(registration, binding, value);
        else if (type === 'blob') await this.#writeBlob(binding, value, bindingData);
        else if (type === 'table') await this.#writeTable(binding, value, bindingData);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(
          `function "${registration.name}", output binding "${name}" (${binding.type}): ${message}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#senders.values()].map((s) => s.close()));
    await Promise.allSettled([...this.#serviceBusClients.values()].map((c) => c.close()));
  }

  async #sendServiceBus(
    registration: FunctionRegistration,
    binding: RpcBindingInfo,
    value: unknown,
  ): Promise<void> {
    const resolve = this.#options.resolveSetting;
    const connection = resolve(String(binding.connection ?? 'AzureWebJobsServiceBus'));
    const entity =
      typeof binding.queueName === 'string'
        ? resolve(binding.queueName)
        : typeof binding.topicName === 'string'
          ? resolve(binding.topicName)
          : undefined;
    if (!entity) throw new Error('a Service Bus output needs queueName or topicName');
    let client = this.#serviceBusClients.get(connection);
    if (!client) {
      client = createServiceBusClient(connection, registration.name, this.#options.getSetting);
      this.#serviceBusClients.set(connection, client);
    }
    const key = `${connection}\n${entity.toLowerCase()}`;
    let sender = this.#senders.get(key);
    if (!sender) {
      sender = client.createSender(entity);
      this.#senders.set(key, sender);
    }
    // An array is one message per element, as with the Node.js worker and the real host.
    const messages = (Array.isArray(value) ? value : [value]).map(messageFrom);
    if (messages.length > 0) await sender.sendMessages(messages);
  }

  #storageConnection(binding: RpcBindingInfo): { connectionString?: string; endpoint?: string } {
    const setting = this.#options.resolveSetting(String(binding.connection ?? 'AzureWebJobsStorage'));
    const value = this.#options.getSetting(setting) ?? this.#options.getSetting(`AzureWebJobs${setting}`);
    if (value && /AccountName=|UseDevelopmentStorage=/i.test(value)) return { connectionString: value };
    return { endpoint: value };
  }

  async #writeBlob(
    binding: RpcBindingInfo,
    value: unknown,
    bindingData: Record<string, unknown>,
  ): Promise<void> {
    const pathTemplate = this.#options.resolveSetting(String(binding.path ?? ''));
    const blobPath = resolveBindingExpression(pathTemplate, bindingData);
    const slash = blobPath.indexOf('/');
    if (slash <= 0 || slash === blobPath.length - 1)
      throw new Error(`the blob path "${blobPath}" must be "container/name"`);
    const { connectionString, endpoint } = this.#storageConnection(binding);
    const setting = String(binding.connection ?? 'AzureWebJobsStorage');
    const service = connectionString
      ? BlobServiceClient.fromConnectionString(connectionString)
      : new BlobServiceClient(
          this.#options.getSetting(`${setting}__blobServiceUri`) ??
            (endpoint
              ? `https://${endpoint}.blob.core.windows.net`
              : this.#missing(setting, 'blobServiceUri')),
          new DefaultAzureCredential(),
        );
    const container = service.getContainerClient(blobPath.slice(0, slash));
    await container.createIfNotExists();
    const content = Buffer.isBuffer(value)
      ? value
      : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
    await container.getBlockBlobClient(blobPath.slice(slash + 1)).uploadData(content);
  }

  async #writeTable(
    binding: RpcBindingInfo,
    value: unknown,
    bindingData: Record<string, unknown>,
  ): Promise<void> {
    const tableName = resolveBindingExpression(
      this.#options.resolveSetting(String(binding.tableName ?? '')),
      bindingData,
    );
    const { connectionString, endpoint } = this.#storageConnection(binding);
    const setting = String(binding.connection ?? 'AzureWebJobsStorage');
    const client = connectionString
      ? TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true })
      : new TableClient(
          this.#options.getSetting(`${setting}__tableServiceUri`) ??
            (endpoint
              ? `https://${endpoint}.table.core.windows.net`
              : this.#missing(setting, 'tableServiceUri')),
          tableName,
          new DefaultAzureCredential(),
        );
    await client.createTable();
    const fixedPartition = typeof binding.partitionKey === 'string' ? binding.partitionKey : undefined;
    const fixedRow = typeof binding.rowKey === 'string' ? binding.rowKey : undefined;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item !== 'object' || item === null)
        throw new Error('a table output must be an entity object');
      const entity = { ...(item as Record<string, unknown>) };
      const partitionKey =
        entity.PartitionKey ??
        entity.partitionKey ??
        (fixedPartition && resolveBindingExpression(fixedPartition, bindingData));
      const rowKey =
        entity.RowKey ?? entity.rowKey ?? (fixedRow && resolveBindingExpression(fixedRow, bindingData));
      if (partitionKey === undefined || rowKey === undefined)
        throw new Error('a table entity needs PartitionKey and RowKey (on the entity or the binding)');
      delete entity.PartitionKey;
      delete entity.RowKey;
      delete entity.partitionKey;
      delete entity.rowKey;
      await client.createEntity({ ...entity, partitionKey: String(partitionKey), rowKey: String(rowKey) });
    }
  }

  #missing(setting: string, suffix: string): never {
    throw new Error(
      `the storage connection setting "${setting}" is not set (set it to a connection string or "${setting}__${suffix}")`,
    );
  }
}
