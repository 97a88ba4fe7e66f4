/**
 * What every use-case gets: the ports, the clock, the id source, the logger and a view of the topology.
 * Built once per process by `createApp`; use-cases take it as their first argument.
 */
import type { BackOffPolicy } from '../domain/back-off';
import type { OperationPolicy } from '../domain/long-running';
import type { SlotSpec } from '../domain/scheduling/slot-leases';
import type { TierPolicy } from '../domain/scheduling/waiting-line';
import type { Topology } from '../domain/topology';
import type { ArtifactStore } from './ports/artifact-store';
import type { ExecutionSlotStore } from './ports/execution-slots';
import type { Executor } from './ports/executor';
import type { HoldStore } from './ports/holds';
import type { MailboxClaimStore } from './ports/mailbox-claims';
import type { PoolStore } from './ports/pools';
import type { MetricsSink } from './ports/metrics';
import type { ProgrammeStore } from './ports/programme';
import type { AuditStore, MembershipStore, TokenVerifier } from './ports/identity';
import type { HealthProbe, Publisher } from './ports/publisher';
import type { WebhookSender } from './ports/webhooks';
import type {
  ActivityIndex,
  DeadLetterLog,
  EventStore,
  IdempotencyStore,
  ItemStore,
  OrgStore,
  RequestStore,
} from './ports/stores';

export interface AppSettings {
  /** Mailboxes per migration batch (one message, one manifest, one items partition each). */
  batchSize: number;
  /** Items of one batch executed at once. */
  itemConcurrency: number;
  /** Batches planned per planning message (one chunk of the inventory per invocation). */
  planChunkBatches: number;
  /** Back-off of transient failures (scheduled successors) and how long a chain keeps trying. */
  retry: BackOffPolicy;
  /** A non-terminal request with no progress for this long is repaired by the reconciler. */
  staleAfterMs: number;
  /** Webhooks may target http and private addresses (local stacks and tests only). */
  webhookAllowPrivate?: boolean;
  /** How callers are identified (TRIAGE_AUTH_*). */
  auth: AuthSettings;
  /** The executor back-end's concurrency, shared by every tier and instance; absent: no limit. */
  executionSlots?: ExecutionSlotSettings;
  /** Polling of long-running operations (`202 Accepted`); `defaultOperationPolicy` when absent. */
  operations?: OperationPolicy;
}

export interface ExecutionSlotSettings {
  spec: SlotSpec;
  /** How long a grant lasts unless its holder renews it (at half-life, from its checkpoints). */
  leaseDurationMs: number;
  /** Longest a delivery waits in process for slots; then it completes and schedules its successor. */
  maxWaitMs: number;
  /** How often a holder checks whether it must yield (and a waiter whether it was granted). Default 200 ms. */
  checkpointMs?: number;
  /** How much later that successor is delivered. Default 2 s. */
  successorDelayMs?: number;
  /** Names this instance in its leases (operators see who holds slots). Default none. */
  instanceId?: string;
}

export interface AuthSettings {
  /** `token`: bearer tokens checked by `tokens`; `easyauth`: App Service's forwarded principal; `off`: open. */
  mode: 'token' | 'easyauth' | 'off';
  /** The claim that carries organisation ids, besides the membership table. */
  orgsClaim: string;
}

export interface AppPorts {
  requests: RequestStore;
  items: ItemStore;
  events: EventStore;
  orgs: OrgStore;
  idempotency: IdempotencyStore;
  activity: ActivityIndex;
  deadLetters: DeadLetterLog;
  holds: HoldStore;
  /** Which request migrates each mailbox: no mailbox in two requests in flight. */
  mailboxClaims: MailboxClaimStore;
  artifacts: ArtifactStore;
  pools: PoolStore;
  /** The execution slots' ledger; absent: executor calls are not limited. */
  slots?: ExecutionSlotStore;
  programme: ProgrammeStore;
  publisher: Publisher;
  executor: Executor;
  /** Absent when no signing secret is configured: webhook deliveries then wait (and dead-letter). */
  webhooks?: WebhookSender;
  /** Absent without Application Insights (locally): the metrics timer only logs. */
  metrics?: MetricsSink;
  tokens: TokenVerifier;
  memberships: MembershipStore;
  audit: AuditStore;
}

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

/** The tiers as use-cases need them: names, the default, and rank comparisons. */
export interface TierView {
  names: readonly string[];
  defaultTier: string;
  /** Lower is served first; an unknown tier ranks last. */
  rankOf(tier: string): number;
  isTier(name: string): boolean;
}

export interface AppContext {
  ports: AppPorts;
  tiers: TierView;
  /** The tiers as the scheduler sees them (rank, opt-in bounded wait). */
  tierPolicies: readonly TierPolicy[];
  topology: Topology;
  settings: AppSettings;
  probes: readonly HealthProbe[];
  /** The current time; pure decisions receive it, never read a clock themselves. */
  clock(): Date;
  /** The current time as an ISO string, as records store it. */
  now(): string;
  newId(): string;
  /** Uniform in [0, 1): the jitter of back-off delays (pure decisions receive it). */
  random(): number;
  log: Logger;
  /** Notifications published in the background, awaited by `flushNotifications`. */
  inFlightNotifications: Set<Promise<void>>;
}

/** The inputs `createApp` needs; everything but the ports and the topology has a default. */
export interface AppDeps extends AppPorts {
  topology: Topology;
  settings: AppSettings;
  probes?: HealthProbe[];
  clock?: () => Date;
  newId?: () => string;
  random?: () => number;
  log?: Logger;
}

/** A view of the topology's tiers. */
export function tierView(topology: Topology): TierView {
  const names = topology.tiers.map((t) => t.name);
  const ranks = new Map(topology.tiers.map((t) => [t.name, t.rank]));
  return {
    names,
    defaultTier: topology.defaultTier,
    rankOf: (tier) => ranks.get(tier) ?? Number.MAX_SAFE_INTEGER,
    isTier: (name) => ranks.has(name),
  };
}
