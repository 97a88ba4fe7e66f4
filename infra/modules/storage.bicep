// The app's data account (Table + Blob) and the Functions host account (deployment package, host locks).
// Two accounts so the app's identity can own the host's blobs without owning the data's.

@description('Required. Name of the data storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param dataAccountName string

@description('Required. Name of the Functions host storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param hostAccountName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Tables the app uses.')
@minLength(1)
param tableNames string[]

@description('Required. Blob containers the app uses.')
@minLength(1)
param containerNames string[]

@description('Required. Containers whose blobs are deleted after `retentionInDays` (claim-check manifests, reports).')
param expiringContainerNames string[]

@description('Optional. Days after the last modification when blobs in `expiringContainerNames` are deleted.')
@minValue(1)
@maxValue(3650)
param retentionInDays int = 90

@description('Optional. Name of the host account container that receives the deployment package.')
param deploymentContainerName string = 'app-package'

// Same secure defaults on both accounts: identity only, TLS 1.2, nothing public.
var secureProperties = {
  allowSharedKeyAccess: false
  defaultToOAuthAuthentication: true
  allowBlobPublicAccess: false
  allowCrossTenantReplication: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  publicNetworkAccess: 'Enabled'
  accessTier: 'Hot'
}

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: dataAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: secureProperties
}

resource dataTableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: dataAccount
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: dataTableService
    name: tableName
  }
]

resource dataBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: dataAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in containerNames: {
    parent: dataBlobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

// Manifests and reports are only needed while a migration is followed up; old ones cost storage for nothing.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = if (!empty(expiringContainerNames)) {
  parent: dataAccount
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-old-claim-check-blobs'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [for containerName in expiringContainerNames: '${containerName}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: retentionInDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: secureProperties
}

resource hostBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: hostAccount
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

@description('Data account name.')
output dataAccountName string = dataAccount.name

@description('Data account resource id.')
output dataAccountResourceId string = dataAccount.id

@description('Table endpoint of the data account, for `TriageStorage__tableServiceUri`.')
output dataTableServiceUri string = dataAccount.properties.primaryEndpoints.table

@description('Blob endpoint of the data account, for `TriageStorage__blobServiceUri`.')
output dataBlobServiceUri string = dataAccount.properties.primaryEndpoints.blob

@description('Host account name.')
output hostAccountName string = hostAccount.name

@description('Host account resource id.')
output hostAccountResourceId string = hostAccount.id

@description('Blob endpoint of the host account, for `AzureWebJobsStorage__blobServiceUri`.')
output hostBlobServiceUri string = hostAccount.properties.primaryEndpoints.blob

@description('Queue endpoint of the host account, for `AzureWebJobsStorage__queueServiceUri`.')
output hostQueueServiceUri string = hostAccount.properties.primaryEndpoints.queue

@description('Table endpoint of the host account, for `AzureWebJobsStorage__tableServiceUri`.')
output hostTableServiceUri string = hostAccount.properties.primaryEndpoints.table

@description('Resource id of the deployment package container.')
output deploymentContainerResourceId string = deploymentContainer.id

@description('URL of the deployment package container, for the Flex Consumption deployment settings.')
output deploymentContainerUrl string = '${hostAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
