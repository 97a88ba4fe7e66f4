/**
 * Service Bus triggers: one SDK client per connection setting, one peek-lock receiver per function.
 * Success completes the message, failure (throw or timeout) abandons it so Service Bus redelivers
 * with deliveryCount+1 and dead-letters at maxDeliveryCount — the real host's behaviour.
 */
import { randomUUID } from 'node:crypto';
import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';
import { DefaultAzureCredential } from '@azure/identity';
import { ensureError } from '../../shared/domain/errors';
import type { RpcTypedData } from './functions-core';
import type { HostSettings } from './host-json';
import type { Invoker } from './invoker';
import type { FunctionRegistration } from './registrations';

export interface ServiceBusTriggerOptions {
  registrations: FunctionRegistration[];
  invoker: Invoker;
  serviceBus: HostSettings['serviceBus'];
  /** Reads an app setting (process.env after the host applied its settings). */
  getSetting: (name: string) => string | undefined;
  resolveSetting: (value: string) => string;
  log: (line: string) => void;
}

export interface RunningServiceBusTriggers {
  /** Stops taking messages (in-flight invocations keep their receivers until `close`). */
  stopReceiving(): Promise<void>;
  close(): Promise<void>;
}

/** Where a Service Bus-triggered function listens, with `%setting%` references resolved. */
export interface ServiceBusSource {
  connection: string;
  entityPath: string;
  queueName?: string;
  topicName?: string;
  subscriptionName?: string;
}

/**
 * The entity a Service Bus trigger reads.
 * @throws TypeError when the trigger names neither a queue nor a topic and subscription.
 */
export function serviceBusSource(
  registration: FunctionRegistration,
  resolveSetting: (value: string) => string = (v) => v,
): ServiceBusSource {
  const t = registration.trigger;
  const connection = resolveSetting(String(t.connection ?? 'AzureWebJobsServiceBus'));
  if (typeof t.queueName === 'string') {
    const queueName = resolveSetting(t.queueName);
    return { connection, entityPath: queueName, queueName };
  }
  if (typeof t.topicName === 'string' && typeof t.subscriptionName === 'string') {
    const topicName = resolveSetting(t.topicName);
    const subscriptionName = resolveSetting(t.subscriptionName);
    return {
      connection,
      entityPath: `${topicName}/Subscriptions/${subscriptionName}`,
      topicName,
      subscriptionName,
    };
  }
  throw new TypeError(
    `function "${registration.name}": a Service Bus trigger needs queueName, or topicName and subscriptionName`,
  );
}

/**
 * A Service Bus client for a connection setting, as the host resolves it: a connection string, or
 * `<setting>__fullyQualifiedNamespace` with a managed identity.
 * @throws Error naming the function and the setting when neither is set.
 */
export function createServiceBusClient(
  connection: string,
  functionName: string,
  getSetting: (name: string) => string | undefined,
): ServiceBusClient {
  const value = getSetting(connection) ?? getSetting(`AzureWebJobs${connection}`);
  if (value && /Endpoint=/i.test(value)) return new ServiceBusClient(value);
  const namespace = getSetting(`${connection}__fullyQualifiedNamespace`) ?? value;
  if (namespace) {
    const clientId = getSetting(`${connection}__clientId`);
    const credential = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    return new ServiceBusClient(namespace, credential);
  }
  throw new Error(
    `function "${functionName}": the Service Bus connection setting "${connection}" is not set ` +
      `(set "${connection}" to a connection string or "${connection}__fullyQualifiedNamespace" to a namespace)`,
  );
}

function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([work.catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
}

const maxDateTimeInMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** ISO text; "never" (no TTL) becomes .NET's DateTimeOffset.MaxValue, as the host reports it. */
function iso(date: Date | undefined): string | undefined {
  if (!date || Number.isNaN(date.getTime())) return undefined;
  return new Date(Math.min(date.getTime(), maxDateTimeInMs)).toISOString();
}

/**
 * The delivery count as the host reports it: the AMQP header counts prior attempts (0 on the first
 * delivery) and the JS SDK passes it through, while the host's .NET SDK adds one.
 */
function hostDeliveryCount(message: ServiceBusReceivedMessage): number {
  return (message.deliveryCount ?? 0) + 1;
}

/** .NET TimeSpan text (`d.hh:mm:ss.fff`), the way the host serialises TimeToLive. */
function timeSpanText(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const pad = (n: number, width = 2): string => String(Math.floor(n)).padStart(width, '0');
  const days = Math.floor(ms / 86_400_000);
  const rest = ms % 86_400_000;
  const fraction = rest % 1000 === 0 ? '' : `.${pad(rest % 1000, 3)}`;
  const core = `${pad(rest / 3_600_000)}:${pad((rest / 60_000) % 60)}:${pad((rest / 1000) % 60)}${fraction}`;
  return days > 0 ? `${days}.${core}` : core;
}

function sequenceNumber(message: ServiceBusReceivedMessage): number | undefined {
  const value = message.sequenceNumber;
  return value === undefined ? undefined : Number(value.toString());
}

/** The message body as the host hands it to a Node worker: text (JSON parsed by the library) or bytes. */
export function messageBodyData(body: unknown, binary: boolean): RpcTypedData {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    return binary ? { bytes: Buffer.from(body) } : { string: Buffer.from(body).toString('utf8') };
  }
  if (typeof body === 'string') return binary ? { bytes: Buffer.from(body) } : { string: body };
  if (body === undefined || body === null) return { string: '' };
  return { json: JSON.stringify(body) };
}

/** The plain values the host binds for one message, keyed as the Service Bus extension names them. */
function messageBindingValues(message: ServiceBusReceivedMessage): Record<string, unknown> {
  const properties = message.applicationProperties ?? {};
  const values: Record<string, unknown> = {
    DeliveryCount: hostDeliveryCount(message),
    DeadLetterSource: message.deadLetterSource,
    LockToken: message.lockToken,
    ExpiresAtUtc: iso(message.expiresAtUtc),
    ExpiresAt: iso(message.expiresAtUtc),
    EnqueuedTimeUtc: iso(message.enqueuedTimeUtc),
    EnqueuedTime: iso(message.enqueuedTimeUtc),
    LockedUntil: iso(message.lockedUntilUtc),
    MessageId: message.messageId === undefined ? undefined : String(message.messageId),
    ContentType: message.contentType,
    ReplyTo: message.replyTo,
    SequenceNumber: sequenceNumber(message),
    To: message.to,
    Label: message.subject,
    Subject: message.subject,
    CorrelationId: message.correlationId === undefined ? undefined : String(message.correlationId),
    SessionId: message.sessionId,
    ReplyToSessionId: message.replyToSessionId,
    PartitionKey: message.partitionKey,
    TimeToLive: timeSpanText(message.timeToLive),
    ApplicationProperties: properties,
    UserProperties: properties,
  };
  for (const key of Object.keys(values)) if (values[key] === undefined) delete values[key];
  return values;
}

function typed(value: unknown): RpcTypedData {
  if (typeof value === 'string') return { string: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { int: value } : { double: value };
  return { json: JSON.stringify(value) };
}

function sysMetadata(functionName: string): RpcTypedData {
  return {
    json: JSON.stringify({
      MethodName: functionName,
      UtcNow: new Date().toISOString(),
      RandomGuid: randomUUID(),
    }),
  };
}

/** The W3C trace parent a producer stamped on the message (`Diagnostic-Id`), which the host continues. */
function diagnosticId(message: ServiceBusReceivedMessage): string | undefined {
  const value = message.applicationProperties?.['Diagnostic-Id'];
  return typeof value === 'string' ? value : undefined;
}

/** Trigger metadata for one message, in the rpc form the host sends (the library camel-cases the keys). */
export function messageTriggerMetadata(
  functionName: string,
  message: ServiceBusReceivedMessage,
): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = {};
  for (const [key, value] of Object.entries(messageBindingValues(message))) metadata[key] = typed(value);
  metadata.sys = sysMetadata(functionName);
  return metadata;
}

/** Trigger metadata for a batch (`cardinality: 'many'`): each field as an `…Array`. */
export function batchTriggerMetadata(
  functionName: string,
  messages: ServiceBusReceivedMessage[],
): Record<string, RpcTypedData> {
  const all = messages.map(messageBindingValues);
  const keys = new Set(all.flatMap((values) => Object.keys(values)));
  const metadata: Record<string, RpcTypedData> = {};
  for (const key of keys)
    metadata[`${key}Array`] = { json: JSON.stringify(all.map((values) => values[key] ?? null)) };
  metadata.sys = sysMetadata(functionName);
  return metadata;
}

function triggerDetails(message: ServiceBusReceivedMessage): string {
  return (
    `Trigger Details: MessageId: ${message.messageId}, SequenceNumber: ${sequenceNumber(message)}, ` +
    `DeliveryCount: ${hostDeliveryCount(message)}, EnqueuedTimeUtc: ${iso(message.enqueuedTimeUtc)}, ` +
    `LockedUntilUtc: ${iso(message.lockedUntilUtc)}, SessionId: ${message.sessionId ?? '(null)'}`
  );
}

/**
 * Starts a receiver for every Service Bus-triggered function.
 * @throws Error naming the function and setting when a connection setting is missing; TypeError for a trigger without an entity.
 */
export function startServiceBusTriggers(options: ServiceBusTriggerOptions): RunningServiceBusTriggers {
  const { invoker, log, serviceBus } = options;
  const functions = options.registrations.filter((r) => r.trigger.type.toLowerCase() === 'servicebustrigger');
  const clients = new Map<string, ServiceBusClient>();
  const receivers: ServiceBusReceiver[] = [];
  const stops: Array<() => Promise<void>> = [];
  let receiving = true;

  const settle = async (what: string, action: () => Promise<void>): Promise<void> => {
    try {
      await action();
    } catch (err) {
      log(`[host] ${what} failed: ${ensureError(err).message}`);
    }
  };

  for (const registration of functions) {
    if (registration.trigger.isSessionsEnabled === true) {
      throw new Error(
        `function "${registration.name}": session-enabled Service Bus triggers are not supported by the local host`,
      );
    }
    const source = serviceBusSource(registration, options.resolveSetting);
    let client = clients.get(source.connection);
    if (!client) {
      client = createServiceBusClient(source.connection, registration.name, options.getSetting);
      clients.set(source.connection, client);
    }
    const receiverOptions = {
      receiveMode: 'peekLock' as const,
      maxAutoLockRenewalDurationInMs: serviceBus.maxAutoLockRenewalDurationInMs,
      skipParsingBodyAsJson: true,
    };
    const receiver = source.queueName
      ? client.createReceiver(source.queueName, receiverOptions)
      : client.createReceiver(source.topicName ?? '', source.subscriptionName ?? '', receiverOptions);
    receivers.push(receiver);
    const binary = registration.trigger.dataType === 'binary';
    const seenErrors = new Set<string>();
    const reportError = (err: unknown): void => {
      const message = ensureError(err).message;
      // The SDK retries by itself; one line per distinct problem keeps the console readable.
      if (seenErrors.has(message)) return;
      seenErrors.add(message);
      log(`[host] Service Bus receiver for ${registration.name} (${source.entityPath}): ${message}`);
    };

    if (registration.trigger.cardinality === 'many') {
      let loop: Promise<void> = Promise.resolve();
      const run = async (): Promise<void> => {
        while (receiving) {
          let messages: ServiceBusReceivedMessage[];
          try {
            messages = await receiver.receiveMessages(serviceBus.maxMessageBatchSize, {
              maxWaitTimeInMs: 1_000,
            });
          } catch (err) {
            if (!receiving) return;
            reportError(err);
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            continue;
          }
          if (messages.length === 0) continue;
          const outcome = await invoker.invoke(registration, {
            reason: '(null)',
            triggerData: binary
              ? {
                  collectionBytes: {
                    bytes: messages.map((m) => messageBodyData(m.body, true).bytes ?? new Uint8Array()),
                  },
                }
              : {
                  collectionString: {
                    string: messages.map((m) => {
                      const data = messageBodyData(m.body, false);
                      return data.string ?? data.json ?? '';
                    }),
                  },
                },
            triggerMetadata: batchTriggerMetadata(registration.name, messages),
            details: `Trigger Details: ${messages.length} messages, first MessageId: ${messages[0]?.messageId}`,
          });
          for (const message of messages) {
            if (outcome.succeeded) {
              if (serviceBus.autoCompleteMessages)
                await settle('complete', () => receiver.completeMessage(message));
            } else {
              await settle('abandon', () => receiver.abandonMessage(message));
            }
          }
        }
      };
      loop = run();
      stops.push(() => loop);
      continue;
    }

    const subscription = receiver.subscribe(
      {
        processMessage: async (message) => {
          const outcome = await invoker.invoke(registration, {
            reason: '(null)',
            triggerData: messageBodyData(message.body, binary),
            triggerMetadata: messageTriggerMetadata(registration.name, message),
            bindingData: messageBindingValues(message),
            traceParent: diagnosticId(message),
            details: triggerDetails(message),
          });
          if (outcome.succeeded) {
            if (serviceBus.autoCompleteMessages)
              await settle(`complete ${message.messageId}`, () => receiver.completeMessage(message));
          } else {
            await settle(`abandon ${message.messageId}`, () => receiver.abandonMessage(message));
          }
        },
        processError: async (args) => {
          reportError(args.error);
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: serviceBus.maxConcurrentCalls },
    );
    // The SDK's close waits out its connection retries (~30 s against an unreachable namespace): cap it.
    stops.push(() => withDeadline(subscription.close(), 3_000));
  }

  let stopped: Promise<void> | undefined;
  const stopReceiving = (): Promise<void> => {
    receiving = false;
    stopped ??= Promise.allSettled(stops.map((stop) => stop())).then(() => undefined);
    return stopped;
  };
  return {
    stopReceiving,
    async close(): Promise<void> {
      await stopReceiving();
      await Promise.allSettled(receivers.map((r) => r.close()));
      await Promise.allSettled([...clients.values()].map((c) => c.close()));
    },
  };
}
