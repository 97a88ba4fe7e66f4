// Shapes shared by main.bicep and the modules. The topology types mirror shared/domain/topology.ts
// (the zod schema that validates infra/topology.json for the code), so both read the same file the same way.

@export()
@description('A priority tier. Rank 1 is the most urgent.')
type tierType = {
  @description('Required. Tier name, also the value of the `tier` application property.')
  name: string

  @description('Required. Rank, 1 = most urgent.')
  @minValue(1)
  rank: int

  @description('Required. What the tier is for.')
  description: string

  @description('Optional. Bounded wait (ISO 8601 duration): a claim waiting longer is promoted one tier per period.')
  maxWait: string?
}

@export()
@description('Entity settings of one topic, as ISO 8601 durations.')
type topicSettingsType = {
  @description('Required. Default time to live of messages sent to the topic.')
  defaultMessageTimeToLive: string

  @description('Required. Whether duplicate detection (on messageId) is on.')
  requiresDuplicateDetection: bool

  @description('Required. How long message ids are remembered for duplicate detection.')
  duplicateDetectionHistoryTimeWindow: string

  @description('Required. Maximum topic size.')
  @minValue(1)
  maxSizeInMegabytes: int
}

@export()
@description('Entity settings of one subscription, as ISO 8601 durations.')
type subscriptionSettingsType = {
  @description('Required. Peek-lock duration.')
  lockDuration: string

  @description('Required. Deliveries before a message is dead-lettered.')
  @minValue(1)
  @maxValue(2000)
  maxDeliveryCount: int

  @description('Required. Default time to live of messages in the subscription.')
  defaultMessageTimeToLive: string

  @description('Required. Whether expired messages move to the dead-letter queue.')
  deadLetteringOnMessageExpiration: bool
}

@export()
@description('One subscription of a topic.')
type subscriptionType = {
  @description('Required. Subscription name.')
  name: string

  @description('Required. Correlation filter on application properties (e.g. `{ tier: \'health\' }`); null keeps the default rule (every message).')
  filter: object?

  @description('Optional. Overrides of the topology\'s subscription defaults.')
  settings: object?

  @description('Optional. The Function that listens on this subscription of an events topic (it gets the receiver role).')
  function: string?
}

@export()
@description('One topic and its subscriptions.')
type topicType = {
  @description('Required. Topic name.')
  name: string

  @description('Required. `work` topics carry requests to one Function per tier; `events` topics carry status notifications.')
  purpose: 'work' | 'events'

  @description('Optional. Prefix of the per-tier Function names (`<functionPrefix>-<tier>`); required for work topics.')
  functionPrefix: string?

  @description('Required. Topic entity settings.')
  settings: topicSettingsType

  @description('Required. The topic\'s subscriptions.')
  subscriptions: subscriptionType[]
}

@export()
@description('infra/topology.json: the single source of tiers, topics and subscriptions.')
type topologyType = {
  @description('Required. The tiers.')
  tiers: tierType[]

  @description('Required. Tier used when an organisation has no verified tier.')
  defaultTier: string

  @description('Required. Application property carrying the tier.')
  tierProperty: string

  @description('Required. Topics with their subscriptions.')
  topics: topicType[]

  @description('Required. Settings every subscription gets unless it overrides them.')
  subscriptionDefaults: subscriptionSettingsType
}

@export()
@description('Who the API trusts (TRIAGE_AUTH_*): Microsoft Entra ID access tokens for the API app registration, checked by the app itself or by EasyAuth in front of it. There is no open mode in Azure.')
type authSettingsType = {
  @description('Required. `token`: the app validates bearer tokens (issuer, audience, signature through the tenant keys, expiry); `easyauth`: App Service Authentication validates them and forwards the principal.')
  mode: 'token' | 'easyauth'

  @description('Required. Client (application) id of the Entra app registration that represents the API and declares its app roles (scripts/entra-app-registration.sh creates it).')
  @minLength(1)
  clientId: string

  @description('Optional. Tenant that issues the tokens; defaults to the deployment tenant.')
  tenantId: string?

  @description('Optional. Audiences accepted besides the client id and `api://<clientId>`.')
  allowedAudiences: string[]?

  @description('Optional. Claim carrying a Requester\'s orgIds besides the membership table (TRIAGE_AUTH_ORGS_CLAIM; code default `triage_orgs`).')
  orgsClaim: string?
}

@export()
@description('Pipeline tuning read by shared/config.ts; an omitted value keeps the code\'s default.')
type pipelineSettingsType = {
  @description('Optional. Mailboxes per migration batch (TRIAGE_BATCH_SIZE; code default 100).')
  @minValue(1)
  @maxValue(10000)
  batchSize: int?

  @description('Optional. Items of one batch executed at once (TRIAGE_ITEM_CONCURRENCY; code default 16).')
  @minValue(1)
  @maxValue(256)
  itemConcurrency: int?

  @description('Optional. Largest request body accepted in bytes (TRIAGE_MAX_BODY_BYTES; code default 4 MiB).')
  @minValue(1024)
  maxBodyBytes: int?

  @description('Optional. Back-off of transient failures: first delay in ms (TRIAGE_RETRY_BASE_MS; code default 1000).')
  retryBaseMs: int?

  @description('Optional. Longest delay between two attempts in ms (TRIAGE_RETRY_MAX_DELAY_MS; code default 300000).')
  retryMaxDelayMs: int?

  @description('Optional. How long a failing piece of work keeps being retried, in ms (TRIAGE_RETRY_MAX_TOTAL_MS; code default 3600000).')
  retryMaxTotalMs: int?

  @description('Optional. The reconciler timer, six-field NCRONTAB (TRIAGE_RECONCILE_SCHEDULE; default every minute).')
  reconcileSchedule: string?

  @description('Optional. No progress for this long (ms) makes a request stuck for the reconciler (TRIAGE_RECONCILE_STALE_AFTER_MS; code default 900000).')
  reconcileStaleAfterMs: int?
}

@export()
@description('The executor that carries out provisioning and migration items (TRIAGE_EXECUTOR_*).')
type executorSettingsType = {
  @description('Required. `simulated` (no external calls) or `http` (POST each item to `url`).')
  type: 'simulated' | 'http'

  @description('Optional. http: endpoint each item is POSTed to. Required when type is http.')
  url: string?

  @description('Optional. http: timeout per call in ms.')
  @minValue(1)
  timeoutMs: int?

  @description('Optional. http: attempts per item within one delivery.')
  @minValue(1)
  maxAttempts: int?

  @description('Optional. http: backoff between attempts in ms.')
  @minValue(0)
  backoffMs: int?

  @description('Optional. Wait between two status reads of a long-running operation (202 + Location) when the back-end sends no Retry-After, in ms (code default 30000).')
  @minValue(1)
  pollIntervalMs: int?

  @description('Optional. How long a long-running operation may stay in progress before it is failed, in ms (code default 86400000 = 24 h).')
  @minValue(1)
  deadlineMs: int?

  @description('Optional. simulated: random seed.')
  seed: int?

  @description('Optional. simulated: minimum latency in ms.')
  @minValue(0)
  latencyMinMs: int?

  @description('Optional. simulated: maximum latency in ms.')
  @minValue(0)
  latencyMaxMs: int?

  @description('Optional. simulated: share of items failing transiently, as a decimal string such as \'0.05\'.')
  transientFailureRate: string?

  @description('Optional. simulated: share of items failing permanently, as a decimal string such as \'0.01\'.')
  permanentFailureRate: string?

  @description('Optional. simulated: calls its back-end serves at once, more wait their turn (code default 0 = unlimited).')
  @minValue(0)
  capacity: int?

  @description('Optional. simulated: run each task as a long-running operation of this many ms, answered in progress and polled (code default 0 = answer at once).')
  @minValue(0)
  operationMs: int?
}

@export()
@description('The executor back-end\'s concurrency as a declared capacity (TRIAGE_EXECUTION_SLOTS*), shared by every tier\'s Functions on every instance.')
type executionSlotsSettingsType = {
  @description('Optional. Calls the back-end takes at once across all instances (code default 64; 0 = no limit). Size it to what the back-end serves, not to the Functions\' scale-out.')
  @minValue(0)
  slots: int?

  @description('Optional. Slots reserved per tier name, nested like pool reservations, e.g. { health: 40 } (code default: the first tier keeps min(16, slots / 4)).')
  reserved: object?

  @description('Optional. Seconds a grant lasts unless renewed; a crashed holder\'s slots return after at most this (code default 15).')
  @minValue(1)
  @maxValue(3600)
  leaseSeconds: int?

  @description('Optional. Seconds a delivery waits in process for slots before it schedules its successor (code default 30; below the lock renewal limit in host.json).')
  @minValue(0)
  @maxValue(240)
  maxWaitSeconds: int?
}
