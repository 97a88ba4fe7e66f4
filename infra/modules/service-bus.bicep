// Service Bus namespace with every topic, subscription and filter rule generated from the topology.
// Nothing here names a tier or a topic: add one to infra/topology.json and the loops below follow.
import { topologyType } from 'types.bicep'

@description('Required. Namespace name (globally unique).')
@minLength(6)
@maxLength(50)
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Optional. Standard, or Premium for isolated capacity and larger messages.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Optional. Messaging units when skuName is Premium (ignored for Standard).')
@allowed([
  1
  2
  4
  8
  16
])
param premiumCapacity int = 1

@description('Required. The parsed infra/topology.json.')
param topology topologyType

// Topic × subscription, flattened so one resource loop can create every subscription (Bicep has no nested loops).
var subscriptions = flatten(map(topology.topics, topic => map(topic.subscriptions, entity => {
  topicName: topic.name
  name: entity.name
  filter: entity.?filter
  settings: union(topology.subscriptionDefaults, entity.?settings ?? {})
})))

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: skuName == 'Premium' ? premiumCapacity : null
  }
  properties: {
    // Entra ID only: SAS keys and connection strings stop working, so none can leak.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource topics 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = [
  for topic in topology.topics: {
    parent: namespace
    name: topic.name
    properties: {
      defaultMessageTimeToLive: topic.settings.defaultMessageTimeToLive
      requiresDuplicateDetection: topic.settings.requiresDuplicateDetection
      duplicateDetectionHistoryTimeWindow: topic.settings.duplicateDetectionHistoryTimeWindow
      maxSizeInMegabytes: topic.settings.maxSizeInMegabytes
      enableBatchedOperations: true
    }
  }
]

resource topicSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [
  for entity in subscriptions: {
    name: '${namespace.name}/${entity.topicName}/${entity.name}'
    properties: {
      lockDuration: entity.settings.lockDuration
      maxDeliveryCount: entity.settings.maxDeliveryCount
      defaultMessageTimeToLive: entity.settings.defaultMessageTimeToLive
      deadLetteringOnMessageExpiration: entity.settings.deadLetteringOnMessageExpiration
      deadLetteringOnFilterEvaluationExceptions: true
      enableBatchedOperations: true
    }
    dependsOn: [
      topics
    ]
  }
]

// A subscription is created with a `$Default` rule that matches everything. Redefining `$Default` as the
// correlation filter replaces it (an extra rule would OR with it and let every tier through).
resource filterRules 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [
  for (entity, i) in subscriptions: if (entity.filter != null) {
    name: '${namespace.name}/${entity.topicName}/${entity.name}/$Default'
    properties: {
      filterType: 'CorrelationFilter'
      correlationFilter: {
        properties: entity.filter
      }
    }
    dependsOn: [
      topicSubscriptions[i]
    ]
  }
]

@description('The namespace name.')
output name string = namespace.name

@description('The namespace resource id.')
output resourceId string = namespace.id

@description('Host name the app connects to with its managed identity (`<name>.servicebus.windows.net`).')
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')

@description('Every topic/subscription pair deployed, for role assignments and alerts.')
output subscriptions array = [
  for entity in subscriptions: {
    topicName: entity.topicName
    name: entity.name
  }
]
