/**
 * Builds the official Service Bus emulator's `Config.json` from infra/topology.json, so the emulator
 * declares exactly the topics, subscriptions and correlation filters that Bicep deploys and the code uses.
 * Schema: Azure/azure-service-bus-emulator-installer, ServiceBus-Emulator/Schema/Config-schema.json.
 */
import { parseIsoDurationInMs } from '../../shared/domain/duration';
import { subscriptionSettings, type Topology } from '../../shared/domain/topology';

/** The emulator accepts one namespace, and only this name. */
export const emulatorNamespaceName = 'sbemulatorns';

/**
 * The emulator refuses entity settings above these (its schema's documented maxima), where Azure allows
 * days: such values are lowered to the maximum, which changes nothing for local runs that last minutes.
 */
export const emulatorLimits = {
  defaultMessageTimeToLive: 'PT1H',
  duplicateDetectionHistoryTimeWindow: 'PT5M',
  lockDuration: 'PT5M',
  maxDeliveryCount: 10,
} as const;

export interface EmulatorCorrelationRule {
  Name: string;
  Properties: { FilterType: 'Correlation'; CorrelationFilter: { Properties: Record<string, string> } };
}

export interface EmulatorSubscription {
  Name: string;
  Properties: {
    DeadLetteringOnMessageExpiration: boolean;
    DefaultMessageTimeToLive: string;
    LockDuration: string;
    MaxDeliveryCount: number;
    ForwardDeadLetteredMessagesTo: string;
    ForwardTo: string;
    RequiresSession: boolean;
  };
  Rules: EmulatorCorrelationRule[];
}

export interface EmulatorTopic {
  Name: string;
  Properties: {
    DefaultMessageTimeToLive: string;
    DuplicateDetectionHistoryTimeWindow: string;
    RequiresDuplicateDetection: boolean;
  };
  Subscriptions: EmulatorSubscription[];
}

export interface EmulatorConfig {
  UserConfig: {
    Namespaces: { Name: string; Queues: never[]; Topics: EmulatorTopic[] }[];
    Logging: { Type: 'File' | 'Console' | 'File,Console' | 'Console,File' };
  };
}

/** The shorter of an ISO 8601 duration and the emulator's maximum for that setting. */
function atMost(duration: string, maximum: string): string {
  return parseIsoDurationInMs(duration) > parseIsoDurationInMs(maximum) ? maximum : duration;
}

/** Name of the rule carrying a subscription's correlation filter (the emulator refuses `$Default`). */
export function emulatorRuleName(subscriptionName: string): string {
  return `${subscriptionName}-filter`;
}

/**
 * The emulator configuration for a topology: one topic per topic, one subscription per subscription,
 * a correlation rule wherever the topology has a filter (none keeps the default rule: every message).
 * @throws RangeError when a duration in the topology is not a supported ISO 8601 duration.
 */
export function createEmulatorConfig(topology: Topology): EmulatorConfig {
  const topics = topology.topics.map((topic): EmulatorTopic => ({
    Name: topic.name,
    Properties: {
      DefaultMessageTimeToLive: atMost(
        topic.settings.defaultMessageTimeToLive,
        emulatorLimits.defaultMessageTimeToLive,
      ),
      DuplicateDetectionHistoryTimeWindow: atMost(
        topic.settings.duplicateDetectionHistoryTimeWindow,
        emulatorLimits.duplicateDetectionHistoryTimeWindow,
      ),
      RequiresDuplicateDetection: topic.settings.requiresDuplicateDetection,
    },
    Subscriptions: topic.subscriptions.map((subscription): EmulatorSubscription => {
      const settings = subscriptionSettings(topology, subscription);
      return {
        Name: subscription.name,
        Properties: {
          DeadLetteringOnMessageExpiration: settings.deadLetteringOnMessageExpiration,
          DefaultMessageTimeToLive: atMost(
            settings.defaultMessageTimeToLive,
            emulatorLimits.defaultMessageTimeToLive,
          ),
          LockDuration: atMost(settings.lockDuration, emulatorLimits.lockDuration),
          MaxDeliveryCount: Math.min(settings.maxDeliveryCount, emulatorLimits.maxDeliveryCount),
          ForwardDeadLetteredMessagesTo: '',
          ForwardTo: '',
          RequiresSession: false,
        },
        Rules: subscription.filter
          ? [
              {
                Name: emulatorRuleName(subscription.name),
                Properties: {
                  FilterType: 'Correlation',
                  CorrelationFilter: { Properties: { ...subscription.filter } },
                },
              },
            ]
          : [],
      };
    }),
  }));
  return {
    UserConfig: {
      Namespaces: [{ Name: emulatorNamespaceName, Queues: [], Topics: topics }],
      Logging: { Type: 'File,Console' },
    },
  };
}

/** The file's text exactly as committed in infra/local/config.json. */
export function formatEmulatorConfig(config: EmulatorConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
