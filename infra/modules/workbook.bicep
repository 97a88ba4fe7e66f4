// The operator's view in the portal: per-tier backlog, throughput, enqueue-to-completion latency and failures.
// The workbook's queries live in workbook.json; the Function-to-tier table is generated from the topology.
import { topologyType } from 'types.bicep'

@description('Required. Display name in the portal.')
@minLength(1)
param displayName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Application Insights resource id (the workbook\'s data source).')
param applicationInsightsResourceId string

@description('Required. Service Bus namespace resource id (backlog metrics).')
param serviceBusNamespaceResourceId string

@description('Required. The parsed infra/topology.json.')
param topology topologyType

// KQL datatable rows: 'provision-health', 'provisioning', 'health', … one per work Function.
var functionTierRows = flatten(map(filter(topology.topics, topic => topic.purpose == 'work'), topic => map(topology.tiers, tier => '\'${topic.functionPrefix}-${tier.name}\', \'${topic.name}\', \'${tier.name}\'')))

var serializedWorkbook = replace(
  replace(
    replace(loadTextContent('workbook.json'), '__FUNCTION_TIERS__', join(functionTierRows, ', ')),
    '__SERVICE_BUS_NAMESPACE_ID__',
    serviceBusNamespaceResourceId
  ),
  '__APPLICATION_INSIGHTS_ID__',
  applicationInsightsResourceId
)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A stable name so redeployments update the same workbook.
  name: guid(resourceGroup().id, applicationInsightsResourceId, 'triage-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsightsResourceId
    serializedData: serializedWorkbook
  }
}

@description('Workbook resource id.')
output resourceId string = workbook.id
