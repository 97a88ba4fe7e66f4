// Every role the app's identity holds, in one place, each scoped as narrowly as the resource allows:
// send on each topic, receive on each subscription a Function listens to, data (not control) roles on storage.
import { topologyType } from 'types.bicep'

@description('Required. Principal (object) id of the app\'s user-assigned identity.')
param principalId string

@description('Optional. Kind of principal; ServicePrincipal for a managed identity.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string = 'ServicePrincipal'

@description('Required. Service Bus namespace name.')
param serviceBusNamespaceName string

@description('Required. The parsed infra/topology.json (decides which entities get which role).')
param topology topologyType

@description('Required. The app\'s data storage account name.')
param dataStorageAccountName string

@description('Required. The Functions host storage account name.')
param hostStorageAccountName string

@description('Required. Application Insights component name.')
param applicationInsightsName string

@description('Required. The Key Vault holding the app\'s secrets (read through Key Vault references).')
param keyVaultName string

// Built-in role definition ids (the same in every Azure cloud).
var roleIds = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// The app publishes requests to the work topics and status events to the events topics: every topic.
var sendingTopicNames = map(topology.topics, topic => topic.name)

// One Function listens on each subscription of a work topic (`<functionPrefix>-<tier>`), and on each
// subscription of an events topic that declares its `function`.
var receivingSubscriptions = flatten(map(topology.topics, topic => map(filter(topic.subscriptions, entity => topic.purpose == 'work' || contains(entity, 'function')), entity => {
  topicName: topic.name
  name: entity.name
})))

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource sendingTopics 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = [
  for topicName in sendingTopicNames: {
    parent: namespace
    name: topicName
  }
]

resource receivingSubscriptionResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' existing = [
  for entity in receivingSubscriptions: {
    name: '${serviceBusNamespaceName}/${entity.topicName}/${entity.name}'
  }
]

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageAccountName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource topicSenders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (topicName, i) in sendingTopicNames: {
    name: guid(sendingTopics[i].id, principalId, roleIds.serviceBusDataSender)
    scope: sendingTopics[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataSender)
      principalId: principalId
      principalType: principalType
      description: 'Triage app publishes to topic ${topicName}'
    }
  }
]

resource subscriptionReceivers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (entity, i) in receivingSubscriptions: {
    name: guid(receivingSubscriptionResources[i].id, principalId, roleIds.serviceBusDataReceiver)
    scope: receivingSubscriptionResources[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataReceiver)
      principalId: principalId
      principalType: principalType
      description: 'Triage Function receives from ${entity.topicName}/${entity.name}'
    }
  }
]

resource dataTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage.id, principalId, roleIds.storageTableDataContributor)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: principalType
    description: 'Triage app reads and writes its tables'
  }
}

resource dataBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage.id, principalId, roleIds.storageBlobDataContributor)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: principalType
    description: 'Triage app reads and writes inventories, manifests and reports'
  }
}

// Flex Consumption reads its package from the deployment container and keeps host locks and keys in blobs.
resource hostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roleIds.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: principalId
    principalType: principalType
    description: 'Functions host storage (deployment package, locks, keys)'
  }
}

// The host writes its diagnostic events to a table in its own account.
resource hostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roleIds.storageTableDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: principalType
    description: 'Functions host diagnostic events'
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roleIds.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: principalType
    description: 'Telemetry ingestion with Entra ID (local auth is off)'
  }
}

// Secrets only, read-only, on this vault only: the platform resolves the app's Key Vault references with it.
resource secretsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, roleIds.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: principalId
    principalType: principalType
    description: 'Key Vault references (the webhook signing secret)'
  }
}

@description('Number of role assignments on Service Bus entities (senders + receivers).')
output serviceBusAssignmentCount int = length(sendingTopicNames) + length(receivingSubscriptions)
