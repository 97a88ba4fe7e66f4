import { z } from 'zod';
import { parseIsoDurationInMs } from './duration';

const isoDuration = z.string().refine(
  (text) => {
    try {
      parseIsoDurationInMs(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an ISO 8601 duration such as PT1M or P14D' },
);

const entityName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$/, 'lower-case letters, digits and dashes');

const tierSchema = z.object({
  name: entityName,
  rank: z.number().int().min(1),
  description: z.string(),
  /** Opt-in anti-starvation: a claim waiting this long is promoted one tier up, per elapsed period. */
  maxWait: isoDuration.optional(),
});

const subscriptionSettingsSchema = z.object({
  lockDuration: isoDuration,
  maxDeliveryCount: z.number().int().min(1).max(2000),
  defaultMessageTimeToLive: isoDuration,
  deadLetteringOnMessageExpiration: z.boolean(),
});

const subscriptionSchema = z.object({
  name: entityName,
  /** Correlation filter on application properties; null means "every message" (the default rule). */
  filter: z.record(z.string(), z.string()).nullable(),
  settings: subscriptionSettingsSchema.partial().optional(),
  /** The Function that listens on it (events topics; a work topic's Functions derive from its functionPrefix). */
  function: entityName.optional(),
});

const topicSchema = z.object({
  name: entityName,
  /** `work` topics carry requests to one Function per tier; `events` topics carry status notifications. */
  purpose: z.enum(['work', 'events']),
  functionPrefix: entityName.optional(),
  settings: z.object({
    defaultMessageTimeToLive: isoDuration,
    requiresDuplicateDetection: z.boolean(),
    duplicateDetectionHistoryTimeWindow: isoDuration,
    maxSizeInMegabytes: z.number().int().positive(),
  }),
  subscriptions: z.array(subscriptionSchema).min(1),
});

export const topologySchema = z
  .object({
    tiers: z.array(tierSchema).min(1),
    defaultTier: entityName,
    tierProperty: z.string().min(1),
    topics: z.array(topicSchema).min(1),
    subscriptionDefaults: subscriptionSettingsSchema,
  })
  .superRefine((topology, ctx) => {
    const tierNames = topology.tiers.map((t) => t.name);
    if (!tierNames.includes(topology.defaultTier)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTier'],
        message: `"${topology.defaultTier}" is not a tier`,
      });
    }
    const ranks = topology.tiers.map((t) => t.rank);
    if (new Set(ranks).size !== ranks.length) {
      ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'tier ranks must be unique' });
    }
    topology.topics.forEach((topic, i) => {
      if (topic.purpose !== 'work') return;
      if (!topic.functionPrefix) {
        ctx.addIssue({
          code: 'custom',
          path: ['topics', i, 'functionPrefix'],
          message: 'work topics need a functionPrefix',
        });
      }
      // A work topic routes each tier to its own subscription, and nothing else.
      for (const tier of tierNames) {
        const matching = topic.subscriptions.filter((s) => s.filter?.[topology.tierProperty] === tier);
        if (matching.length !== 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['topics', i, 'subscriptions'],
            message: `work topic "${topic.name}" needs exactly one subscription filtered on ${topology.tierProperty}="${tier}", found ${matching.length}`,
          });
        }
      }
      if (topic.subscriptions.length !== tierNames.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['topics', i, 'subscriptions'],
          message: `work topic "${topic.name}" has ${topic.subscriptions.length} subscriptions for ${tierNames.length} tiers`,
        });
      }
    });
  });

export type Topology = z.infer<typeof topologySchema>;
export type TopicDefinition = Topology['topics'][number];
export type SubscriptionDefinition = TopicDefinition['subscriptions'][number];
export type SubscriptionSettings = z.infer<typeof subscriptionSettingsSchema>;

/**
 * Validates a topology document.
 * @throws TypeError naming every problem when the document is not a valid topology.
 */
export function parseTopology(document: unknown): Topology {
  const result = topologySchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new TypeError(`invalid topology:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** Tier names, most urgent first. */
export function tierNamesByRank(topology: Topology): string[] {
  return [...topology.tiers].sort((a, b) => a.rank - b.rank).map((t) => t.name);
}

export function workTopics(topology: Topology): TopicDefinition[] {
  return topology.topics.filter((t) => t.purpose === 'work');
}

/** The subscription of a work topic that receives one tier's messages. */
export function tierSubscription(
  topology: Topology,
  topicName: string,
  tier: string,
): SubscriptionDefinition {
  const topic = topology.topics.find((t) => t.name === topicName);
  const subscription = topic?.subscriptions.find((s) => s.filter?.[topology.tierProperty] === tier);
  if (!subscription) throw new RangeError(`no subscription for tier "${tier}" on topic "${topicName}"`);
  return subscription;
}

/** The Function that serves one tier of one work topic, e.g. `provision-health`. */
export function tierFunctionName(topic: TopicDefinition, tier: string): string {
  if (!topic.functionPrefix) throw new RangeError(`topic "${topic.name}" has no functionPrefix`);
  return `${topic.functionPrefix}-${tier}`;
}

/** A subscription's effective settings: the topology's defaults overlaid with its own. */
export function subscriptionSettings(
  topology: Topology,
  subscription: SubscriptionDefinition,
): SubscriptionSettings {
  return { ...topology.subscriptionDefaults, ...subscription.settings };
}

/** The subscription an events-topic Function listens on (declared by its `function` in the topology). */
export function eventSubscriptionOf(
  topology: Topology,
  functionName: string,
): { topic: TopicDefinition; subscription: SubscriptionDefinition } {
  for (const topic of topology.topics) {
    const subscription = topic.subscriptions.find((s) => s.function === functionName);
    if (subscription) return { topic, subscription };
  }
  throw new RangeError(`no subscription in the topology is declared for Function ${functionName}`);
}

/** The tiers as the scheduler sees them: rank and the opt-in bounded wait in milliseconds. */
export function tierPolicies(
  topology: Topology,
): Array<{ name: string; rank: number; maxWaitInMs?: number }> {
  return topology.tiers.map((t) => ({
    name: t.name,
    rank: t.rank,
    ...(t.maxWait !== undefined ? { maxWaitInMs: parseIsoDurationInMs(t.maxWait) } : {}),
  }));
}
