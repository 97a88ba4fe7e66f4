// Alerts an operator acts on: messages dead-lettered on any topic, a growing backlog on the work topics,
// tier-1 (health/emergency) messages waiting too long before a Function picks them up, and tier-1
// requests waiting too long for capacity (the app's scheduler metrics).
import { topologyType } from 'types.bicep'

@description('Required. Prefix of the alert names.')
@minLength(1)
param namePrefix string

@description('Required. Azure region of the log alert (metric alerts are global).')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Service Bus namespace resource id.')
param serviceBusNamespaceResourceId string

@description('Required. Application Insights resource id (the tier-1 wait is measured from its traces).')
param applicationInsightsResourceId string

@description('Required. The parsed infra/topology.json.')
param topology topologyType

@description('Optional. E-mail address notified by the alerts; no action group is created when empty.')
param alertEmailAddress string = ''

@description('Optional. Active messages on one work topic (all tiers) that raise the backlog alert.')
@minValue(1)
param backlogThreshold int = 1000

@description('Optional. Seconds a tier-1 message may wait between enqueue and pickup before the alert fires.')
@minValue(1)
param tier1MaxWaitInSeconds int = 60

@description('Optional. Seconds a tier-1 request may wait for capacity (deferred, queued) before the claim-wait alert fires.')
@minValue(1)
param tier1ClaimMaxWaitInSeconds int = 900

var tier1Rank = min(map(topology.tiers, tier => tier.rank))
var tier1Names = map(filter(topology.tiers, tier => tier.rank == tier1Rank), tier => tier.name)
var tier1FunctionNames = flatten(map(filter(topology.topics, topic => topic.purpose == 'work'), topic => map(tier1Names, tierName => '${topic.functionPrefix}-${tierName}')))
var workTopicNames = map(filter(topology.topics, topic => topic.purpose == 'work'), topic => topic.name)
var allTopicNames = map(topology.topics, topic => topic.name)

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmailAddress)) {
  name: '${namePrefix}-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'triage-ops'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmailAddress)
  ? []
  : [
      {
        actionGroupId: actionGroup.id
      }
    ]

// Service Bus metrics split by EntityName per topic (not per subscription), so one alert per topic:
// any dead-lettered message means a message exhausted its deliveries or expired and needs a replay decision.
resource deadLetterAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for topicName in allTopicNames: {
    name: '${namePrefix}-deadletter-${topicName}'
    location: 'global'
    tags: tags
    properties: {
      description: 'Messages are dead-lettered on topic ${topicName}: inspect the dead-letter queues and replay or discard.'
      severity: 2
      enabled: true
      scopes: [
        serviceBusNamespaceResourceId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: 'DeadletteredMessages'
            metricNamespace: 'Microsoft.ServiceBus/namespaces'
            metricName: 'DeadletteredMessages'
            dimensions: [
              {
                name: 'EntityName'
                operator: 'Include'
                values: [
                  topicName
                ]
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Maximum'
          }
        ]
      }
      autoMitigate: true
      actions: actions
    }
  }
]

resource backlogAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for topicName in workTopicNames: {
    name: '${namePrefix}-backlog-${topicName}'
    location: 'global'
    tags: tags
    properties: {
      description: 'More than ${backlogThreshold} active messages wait on topic ${topicName} (all tiers): the Functions do not keep up.'
      severity: 3
      enabled: true
      scopes: [
        serviceBusNamespaceResourceId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: 'ActiveMessages'
            metricNamespace: 'Microsoft.ServiceBus/namespaces'
            metricName: 'ActiveMessages'
            dimensions: [
              {
                name: 'EntityName'
                operator: 'Include'
                values: [
                  topicName
                ]
              }
            ]
            operator: 'GreaterThan'
            threshold: backlogThreshold
            timeAggregation: 'Average'
          }
        ]
      }
      autoMitigate: true
      actions: actions
    }
  }
]

// Azure Monitor has no per-subscription age metric, so the tier-1 wait comes from the Service Bus
// extension's "Trigger Details" trace (it carries EnqueuedTimeUtc) logged when a tier-1 Function starts.
var tier1FunctionList = join(map(tier1FunctionNames, functionName => '\'${functionName}\''), ', ')
var tier1WaitQuery = '''
traces
| where message startswith "Trigger Details:" and operation_Name in (__FUNCTIONS__)
| extend enqueuedAt = todatetime(extract(@"EnqueuedTimeUtc: ([^,]+)", 1, message))
| where isnotnull(enqueuedAt)
| extend waitInSeconds = datetime_diff('second', timestamp, enqueuedAt)
| summarize maxWaitInSeconds = max(waitInSeconds) by operation_Name
'''

resource tier1WaitAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-tier1-wait'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: tier-1 messages wait more than ${tier1MaxWaitInSeconds}s'
    description: 'A tier-1 (${join(tier1Names, ', ')}) message waited more than ${tier1MaxWaitInSeconds}s between enqueue and pickup.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: replace(tier1WaitQuery, '__FUNCTIONS__', tier1FunctionList)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'maxWaitInSeconds'
          dimensions: [
            {
              name: 'operation_Name'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: tier1MaxWaitInSeconds
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(alertEmailAddress) ? [] : [actionGroup.id]
    }
  }
}

// The app's metrics timer reports, every minute, the oldest wait of each tier's waiting requests
// (`triage.oldest_wait_seconds`, dimension `tier`): a tier-1 claim waiting past its threshold is a page.
var tier1TierList = join(map(tier1Names, tierName => '\'${tierName}\''), ', ')
var tier1ClaimWaitQuery = '''
customMetrics
| where name == "triage.oldest_wait_seconds"
| extend tier = tostring(customDimensions.tier)
| where tier in (__TIERS__)
| summarize oldestWaitInSeconds = max(value) by tier
'''

resource tier1ClaimWaitAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-tier1-claim-wait'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: a tier-1 request has waited more than ${tier1ClaimMaxWaitInSeconds}s for capacity'
    description: 'A tier-1 (${join(tier1Names, ', ')}) request is still waiting (queued or deferred for capacity) after ${tier1ClaimMaxWaitInSeconds}s: see the Scheduler section of the workbook and GET /api/pools/{poolId}/queue.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: replace(tier1ClaimWaitQuery, '__TIERS__', tier1TierList)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'oldestWaitInSeconds'
          dimensions: [
            {
              name: 'tier'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: tier1ClaimMaxWaitInSeconds
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(alertEmailAddress) ? [] : [actionGroup.id]
    }
  }
}

@description('Names of the tier-1 Functions the wait alert watches.')
output tier1FunctionNames array = tier1FunctionNames
