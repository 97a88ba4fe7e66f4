// Log Analytics workspace and workspace-based Application Insights with local (key) auth off:
// telemetry is accepted only from identities holding Monitoring Metrics Publisher.

@description('Required. Log Analytics workspace name.')
@minLength(4)
@maxLength(63)
param logAnalyticsName string

@description('Required. Application Insights component name.')
@minLength(1)
@maxLength(260)
param applicationInsightsName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Optional. Days the workspace keeps logs.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Daily ingestion cap in GB (-1 = no cap); the main cost lever of monitoring.')
@minValue(-1)
param dailyQuotaGb int = -1

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

@description('Workspace resource id.')
output logAnalyticsResourceId string = workspace.id

@description('Application Insights name.')
output applicationInsightsName string = applicationInsights.name

@description('Application Insights resource id.')
output applicationInsightsResourceId string = applicationInsights.id
