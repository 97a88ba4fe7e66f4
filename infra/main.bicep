// Triage on Azure: `azd up` provisions everything below and deploys the app to the Function App.
// Topics, subscriptions, filters, roles, always-ready Functions, alerts and the workbook all derive from
// infra/topology.json (loadJsonContent), the same file the code and the local broker read.
targetScope = 'subscription'

import { authSettingsType, executionSlotsSettingsType, executorSettingsType, pipelineSettingsType } from 'modules/types.bicep'

@description('Required. azd environment name; names the resource group and seeds every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Required. Region for every resource; it must offer Flex Consumption.')
@minLength(1)
param location string

@description('Optional. Service Bus tier: Standard, or Premium for isolation and predictable latency.')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Optional. Premium messaging units (ignored for Standard).')
@allowed([
  1
  2
  4
  8
  16
])
param serviceBusPremiumCapacity int = 1

@description('Optional. Node.js major version of the Function App.')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '20'

@description('Optional. Memory per Function App instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Maximum Function App instances; bounds both throughput and the cost of a burst.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Warm instances kept for each tier-1 Function (billed while idle); 0 turns always-ready off.')
@minValue(0)
@maxValue(10)
param tier1AlwaysReadyInstanceCount int = 1

@description('Optional. Days before manifests and reports are deleted from Blob Storage.')
@minValue(1)
@maxValue(3650)
param blobRetentionInDays int = 90

@description('Optional. Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Optional. E-mail address notified by the alerts; empty creates the alerts without notifications.')
param alertEmailAddress string = ''

@description('Optional. Seconds a tier-1 message may wait before pickup before the alert fires.')
@minValue(1)
param tier1MaxWaitInSeconds int = 60

@description('Optional. Seconds a tier-1 request may wait for capacity before the claim-wait alert fires (from the app\'s scheduler metrics).')
@minValue(1)
param tier1ClaimMaxWaitInSeconds int = 900

@description('Optional. Active messages on one work topic that raise the backlog alert.')
@minValue(1)
param backlogAlertThreshold int = 1000

@description('Optional. Pipeline tuning (batch size, concurrency, body limit); omitted values keep the code\'s defaults.')
param pipeline pipelineSettingsType = {}

@description('Optional. The executor that carries out items; the simulated one makes no external calls.')
param executor executorSettingsType = {
  type: 'simulated'
}

@description('Optional. Execution slots: how many executor calls the back-end takes at once, and what each tier reserves of them; omitted values keep the code\'s defaults.')
param executionSlots executionSlotsSettingsType = {}

@description('Optional. HMAC-SHA256 key that signs webhook deliveries (azd env set TRIAGE_WEBHOOK_SECRET …); kept in Key Vault and read by the app through a Key Vault reference. Empty: webhook deliveries wait and dead-letter until one is set.')
@secure()
param webhookSigningSecret string = ''

@description('Optional. Serve the status page (GET /api/status and its data) without a function key or token. Off by default: operators open it with ?code=<function key>#token=<bearer token>.')
param statusPageAnonymous bool = false

@description('Optional. Function keys in front of the API (the host checks them before the app runs, and answers a missing key with an empty 401). `off`: the bearer token, or EasyAuth, is the only gate, and every 401 has a problem body.')
@allowed([
  'required'
  'off'
])
param functionKeys string = 'required'

@description('Required. Who the API trusts: the Entra app registration of the API (its client id; scripts/entra-app-registration.sh creates it) and whether the app or EasyAuth checks the tokens.')
param auth authSettingsType

var topology = loadJsonContent('topology.json')

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'triage'
}

// Tier-1 = the lowest rank; its Functions (`<functionPrefix>-<tier>` on every work topic) get always-ready instances.
var tier1Rank = min(map(topology.tiers, tier => tier.rank))
var tier1FunctionNames = flatten(map(filter(topology.topics, topic => topic.purpose == 'work'), topic => map(filter(topology.tiers, tier => tier.rank == tier1Rank), tier => '${topic.functionPrefix}-${tier.name}')))

// What the app's code uses in its data account (shared/adapters: table-stores.ts, blob-artifact-store.ts).
var tableNames = [
  'requests'
  'requestsbyorg'
  'requestsbytime'
  'items'
  'events'
  'orgs'
  'idempotency'
  'pools'
  'slots'
  'programme'
  'memberships'
  'membersbyorg'
  'audit'
  'activity'
  'deadletters'
  'holds'
  'mailboxclaims'
]
var containerNames = [
  'inventories'
  'manifests'
  'reports'
]
var expiringContainerNames = [
  'manifests'
  'reports'
]

var keyVaultName = 'kv-${resourceToken}'
var webhookSecretName = 'webhook-signing-secret'

// Entra ID v2 tokens: issued by the tenant's v2.0 endpoint, signed with the keys it publishes.
// (The parentheses are for tree-sitter-bicep, which the offline tests parse with: it binds `??` tighter than `.`.)
var authTenantId = auth.?tenantId ?? (tenant().tenantId)
var authAuthority = '${environment().authentication.loginEndpoint}${authTenantId}'
var authAudiences = concat([auth.clientId, 'api://${auth.clientId}'], auth.?allowedAudiences ?? [])

// Every setting shared/config.ts reads besides its connections. An empty value means "not set": the code
// then applies its own default, so defaults live in one place (the code), not here.
var appConfiguration = {
  TRIAGE_STORAGE_PREFIX: ''
  TRIAGE_BATCH_SIZE: string(pipeline.?batchSize ?? '')
  TRIAGE_ITEM_CONCURRENCY: string(pipeline.?itemConcurrency ?? '')
  TRIAGE_MAX_BODY_BYTES: string(pipeline.?maxBodyBytes ?? '')
  TRIAGE_RETRY_BASE_MS: string(pipeline.?retryBaseMs ?? '')
  TRIAGE_RETRY_MAX_DELAY_MS: string(pipeline.?retryMaxDelayMs ?? '')
  TRIAGE_RETRY_MAX_TOTAL_MS: string(pipeline.?retryMaxTotalMs ?? '')
  TRIAGE_RECONCILE_SCHEDULE: pipeline.?reconcileSchedule ?? '0 */1 * * * *'
  TRIAGE_RECONCILE_STALE_AFTER_MS: string(pipeline.?reconcileStaleAfterMs ?? '')
  TRIAGE_EXECUTOR: executor.type
  TRIAGE_EXECUTOR_SEED: string(executor.?seed ?? '')
  TRIAGE_EXECUTOR_LATENCY_MIN_MS: string(executor.?latencyMinMs ?? '')
  TRIAGE_EXECUTOR_LATENCY_MAX_MS: string(executor.?latencyMaxMs ?? '')
  TRIAGE_EXECUTOR_TRANSIENT_FAILURE_RATE: executor.?transientFailureRate ?? ''
  TRIAGE_EXECUTOR_PERMANENT_FAILURE_RATE: executor.?permanentFailureRate ?? ''
  TRIAGE_EXECUTOR_CAPACITY: string(executor.?capacity ?? '')
  TRIAGE_EXECUTOR_OPERATION_MS: string(executor.?operationMs ?? '')
  TRIAGE_EXECUTOR_URL: executor.?url ?? ''
  TRIAGE_EXECUTOR_TIMEOUT_MS: string(executor.?timeoutMs ?? '')
  TRIAGE_EXECUTOR_MAX_ATTEMPTS: string(executor.?maxAttempts ?? '')
  TRIAGE_EXECUTOR_BACKOFF_MS: string(executor.?backoffMs ?? '')
  TRIAGE_EXECUTOR_POLL_INTERVAL_MS: string(executor.?pollIntervalMs ?? '')
  TRIAGE_EXECUTOR_DEADLINE_MS: string(executor.?deadlineMs ?? '')
  TRIAGE_EXECUTION_SLOTS: string(executionSlots.?slots ?? '')
  TRIAGE_EXECUTION_SLOTS_RESERVED: executionSlots.?reserved == null ? '' : string(executionSlots.?reserved)
  TRIAGE_EXECUTION_SLOT_LEASE_SECONDS: string(executionSlots.?leaseSeconds ?? '')
  TRIAGE_EXECUTION_SLOT_MAX_WAIT_SECONDS: string(executionSlots.?maxWaitSeconds ?? '')
  // A Key Vault reference, resolved by the platform with the app's identity: the secret never sits in a setting.
  TRIAGE_WEBHOOK_SECRET: empty(webhookSigningSecret) ? '' : '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${webhookSecretName})'
  // Webhooks go to public https addresses only in Azure.
  TRIAGE_WEBHOOK_ALLOW_PRIVATE: 'false'
  // Real time in Azure: the fast clock is for local demos and scenarios.
  TRIAGE_CLOCK_SPEED: '1'
  TRIAGE_CLOCK_ANCHOR: ''
  // Local measurement only (the cost model's counts).
  TRIAGE_OPERATION_COUNTS_FILE: ''
  TRIAGE_AUTH_MODE: auth.mode
  TRIAGE_AUTH_ISSUER: auth.mode == 'token' ? '${authAuthority}/v2.0' : ''
  TRIAGE_AUTH_AUDIENCE: auth.mode == 'token' ? join(authAudiences, ',') : ''
  TRIAGE_AUTH_JWKS_URI: auth.mode == 'token' ? '${authAuthority}/discovery/v2.0/keys' : ''
  TRIAGE_AUTH_ORGS_CLAIM: auth.?orgsClaim ?? ''
  TRIAGE_AUTH_CLOCK_TOLERANCE_SECONDS: ''
  TRIAGE_AUTH_MEMBERSHIP_CACHE_SECONDS: ''
  TRIAGE_STATUS_PAGE_ANONYMOUS: string(statusPageAnonymous)
  TRIAGE_FUNCTION_KEYS: functionKeys
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  scope: rg
  name: 'identity'
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module serviceBus 'modules/service-bus.bicep' = {
  scope: rg
  name: 'service-bus'
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    skuName: serviceBusSku
    premiumCapacity: serviceBusPremiumCapacity
    topology: topology
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  name: 'storage'
  params: {
    dataAccountName: 'st${resourceToken}'
    hostAccountName: 'sthost${resourceToken}'
    location: location
    tags: tags
    tableNames: tableNames
    containerNames: containerNames
    expiringContainerNames: expiringContainerNames
    retentionInDays: blobRetentionInDays
  }
}

module keyVault 'modules/key-vault.bicep' = {
  scope: rg
  name: 'key-vault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    webhookSigningSecret: webhookSigningSecret
    webhookSecretName: webhookSecretName
  }
}

module roleAssignments 'modules/role-assignments.bicep' = {
  scope: rg
  name: 'role-assignments'
  params: {
    principalId: identity.outputs.principalId
    serviceBusNamespaceName: serviceBus.outputs.name
    topology: topology
    dataStorageAccountName: storage.outputs.dataAccountName
    hostStorageAccountName: storage.outputs.hostAccountName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
  }
}

module functionApp 'modules/function-app.bicep' = {
  scope: rg
  name: 'function-app'
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    dataTableServiceUri: storage.outputs.dataTableServiceUri
    dataBlobServiceUri: storage.outputs.dataBlobServiceUri
    hostBlobServiceUri: storage.outputs.hostBlobServiceUri
    hostQueueServiceUri: storage.outputs.hostQueueServiceUri
    hostTableServiceUri: storage.outputs.hostTableServiceUri
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyFunctionNames: tier1AlwaysReadyInstanceCount > 0 ? tier1FunctionNames : []
    alwaysReadyInstanceCount: tier1AlwaysReadyInstanceCount
    appConfiguration: appConfiguration
    easyAuth: auth.mode == 'easyauth'
    authClientId: auth.clientId
    authOpenIdIssuer: '${authAuthority}/v2.0'
    authAudiences: authAudiences
  }
  // The app starts receiving as soon as it exists: its roles (and its secrets) must be in place first.
  dependsOn: [
    roleAssignments
    keyVault
  ]
}

module alerts 'modules/alerts.bicep' = {
  scope: rg
  name: 'alerts'
  params: {
    namePrefix: 'triage-${environmentName}'
    location: location
    tags: tags
    serviceBusNamespaceResourceId: serviceBus.outputs.resourceId
    applicationInsightsResourceId: monitoring.outputs.applicationInsightsResourceId
    topology: topology
    alertEmailAddress: alertEmailAddress
    tier1MaxWaitInSeconds: tier1MaxWaitInSeconds
    tier1ClaimMaxWaitInSeconds: tier1ClaimMaxWaitInSeconds
    backlogThreshold: backlogAlertThreshold
  }
}

module workbook 'modules/workbook.bicep' = {
  scope: rg
  name: 'workbook'
  params: {
    displayName: 'Triage pipeline (${environmentName})'
    location: location
    tags: tags
    applicationInsightsResourceId: monitoring.outputs.applicationInsightsResourceId
    serviceBusNamespaceResourceId: serviceBus.outputs.resourceId
    topology: topology
  }
}

// azd reads these into the environment (.azure/<env>/.env); none is a secret.
@description('Region of the deployment.')
output AZURE_LOCATION string = location

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group holding everything.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Function App name (azd service `api`).')
output SERVICE_API_NAME string = functionApp.outputs.name

@description('Base URL of the HTTP API.')
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}/api'

@description('Service Bus host name, for producers inside the trust boundary.')
output SERVICE_BUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace

@description('Data storage account name.')
output STORAGE_ACCOUNT_NAME string = storage.outputs.dataAccountName

@description('Client id of the app\'s managed identity.')
output AZURE_CLIENT_ID string = identity.outputs.clientId

@description('Client id of the API app registration callers request tokens for (scope `api://<id>/.default`).')
output TRIAGE_API_CLIENT_ID string = auth.clientId

@description('Tier-1 Functions with always-ready instances.')
output TIER1_FUNCTION_NAMES array = tier1FunctionNames
