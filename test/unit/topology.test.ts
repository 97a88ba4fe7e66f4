import topologyDocument from '../../infra/topology.json';
import { parseIsoDurationInMs, parseTimeSpanInMs } from '../../shared/domain/duration';
import {
  parseTopology,
  subscriptionSettings,
  tierFunctionName,
  tierNamesByRank,
  tierSubscription,
  workTopics,
} from '../../shared/domain/topology';

describe('infra/topology.json', () => {
  const topology = parseTopology(topologyDocument);

  test('has the four tiers in rank order', () => {
    expect(tierNamesByRank(topology)).toEqual(['health', 'government', 'remote-work', 'standard']);
    expect(topology.defaultTier).toBe('standard');
  });

  test('routes every tier of every work topic to its own correlation-filtered subscription', () => {
    const topics = workTopics(topology).map((t) => t.name);
    expect(topics).toEqual(['provisioning', 'migration']);
    for (const topic of workTopics(topology)) {
      for (const tier of tierNamesByRank(topology)) {
        expect(tierSubscription(topology, topic.name, tier).filter).toEqual({ tier });
      }
    }
    expect(tierFunctionName(workTopics(topology)[0]!, 'health')).toBe('provision-health');
    expect(tierFunctionName(workTopics(topology)[1]!, 'standard')).toBe('migrate-standard');
  });

  test('has a notifications topic for status events', () => {
    const notifications = topology.topics.find((t) => t.name === 'notifications');
    expect(notifications?.purpose).toBe('events');
  });

  test('gives every subscription lock duration, delivery count, TTL and dead-lettering on expiry', () => {
    const settings = subscriptionSettings(topology, tierSubscription(topology, 'migration', 'health'));
    expect(parseIsoDurationInMs(settings.lockDuration)).toBe(60_000);
    expect(settings.maxDeliveryCount).toBe(10);
    expect(settings.deadLetteringOnMessageExpiration).toBe(true);
  });

  test('rejects a tier that a work topic does not route', () => {
    const withExtraTier = structuredClone(topologyDocument);
    withExtraTier.tiers.push({ name: 'research', rank: 5, description: 'added without subscriptions' });
    expect(() => parseTopology(withExtraTier)).toThrow(
      /exactly one subscription filtered on tier="research"/,
    );
  });

  test('rejects duplicate ranks and an unknown default tier', () => {
    const broken = structuredClone(topologyDocument);
    broken.tiers[1]!.rank = 1;
    broken.defaultTier = 'nobody';
    expect(() => parseTopology(broken)).toThrow(
      /ranks must be unique[\s\S]*"nobody" is not a tier|"nobody" is not a tier[\s\S]*ranks must be unique/,
    );
  });
});

describe('durations', () => {
  test.each([
    ['PT1M', 60_000],
    ['P14D', 14 * 86_400_000],
    ['PT10M30S', 630_000],
    ['PT0.5S', 500],
    ['P1W', 7 * 86_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseIsoDurationInMs(text)).toBe(ms));

  test.each(['', 'P', 'PT', '1M', 'P1Y', 'P1M', 'PT-1S'])('refuses %j', (text) => {
    expect(() => parseIsoDurationInMs(text)).toThrow(RangeError);
  });

  test('reads host.json time spans', () => {
    expect(parseTimeSpanInMs('00:05:00')).toBe(300_000);
    expect(parseTimeSpanInMs('1.00:00:01')).toBe(86_401_000);
    expect(() => parseTimeSpanInMs('5 minutes')).toThrow(RangeError);
  });
});
