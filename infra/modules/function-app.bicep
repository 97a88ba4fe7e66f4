// Flex Consumption Function App running as a user-assigned identity. Every connection is identity-based:
// the `<connection>__…` settings below are how the Functions host and the app's own SDK clients find their endpoints.

@description('Required. Function App name (globally unique host name).')
@minLength(2)
@maxLength(60)
param name string

@description('Required. Flex Consumption plan name.')
@minLength(1)
@maxLength(60)
param planName string

@description('Required. Azure region (must offer Flex Consumption).')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Client id of that identity (the `…__clientId` settings pick it among the app\'s identities).')
param identityClientId string

@description('Required. Service Bus host name, e.g. `sb-x.servicebus.windows.net`.')
param serviceBusFullyQualifiedNamespace string

@description('Required. Table endpoint of the data account.')
param dataTableServiceUri string

@description('Required. Blob endpoint of the data account.')
param dataBlobServiceUri string

@description('Required. Blob endpoint of the host account.')
param hostBlobServiceUri string

@description('Required. Queue endpoint of the host account.')
param hostQueueServiceUri string

@description('Required. Table endpoint of the host account.')
param hostTableServiceUri string

@description('Required. URL of the host account container that receives the deployment package.')
param deploymentContainerUrl string

@description('Required. Application Insights component that receives telemetry.')
param applicationInsightsName string

@description('Optional. Node.js major version.')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '20'

@description('Optional. Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Upper bound of instances the app scales out to; also bounds the cost of a burst.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Required. Functions that keep warm instances (the tier-1 Functions), by Function name.')
param alwaysReadyFunctionNames string[]

@description('Optional. Warm instances per always-ready Function; billed while idle.')
@minValue(0)
@maxValue(10)
param alwaysReadyInstanceCount int = 1

@description('Optional. App settings the app\'s own code reads (see shared/config.ts), merged over the connection settings.')
param appConfiguration object = {}

@description('Optional. Whether EasyAuth (App Service Authentication, Entra ID) validates tokens in front of the app (TRIAGE_AUTH_MODE=easyauth).')
param easyAuth bool = false

@description('Optional. EasyAuth: client id of the API app registration. Required when easyAuth is on.')
param authClientId string = ''

@description('Optional. EasyAuth: the issuer of the tokens (`https://login.microsoftonline.com/<tenant>/v2.0`). Required when easyAuth is on.')
param authOpenIdIssuer string = ''

@description('Optional. EasyAuth: the audiences accepted (the client id and `api://<client id>`).')
param authAudiences string[] = []

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Keys are the setting names the host and the code read; values never carry a key or a SAS token.
var appSettings = {
  // Host storage (deployment package, timers' locks, host keys) through the identity.
  AzureWebJobsStorage__blobServiceUri: hostBlobServiceUri
  AzureWebJobsStorage__queueServiceUri: hostQueueServiceUri
  AzureWebJobsStorage__tableServiceUri: hostTableServiceUri
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Service Bus triggers and the publisher (settingNames.serviceBusConnection).
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identityClientId
  // The app's tables and blobs (settingNames.storageConnection).
  TriageStorage__tableServiceUri: dataTableServiceUri
  TriageStorage__blobServiceUri: dataBlobServiceUri
  TriageStorage__credential: 'managedidentity'
  TriageStorage__clientId: identityClientId
  // DefaultAzureCredential in the app's own SDK clients picks this identity.
  AZURE_CLIENT_ID: identityClientId
  // Telemetry: the connection string only locates the endpoint; local auth is off, so ingestion needs the token below.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings are resolved with the app's own identity.
    keyVaultReferenceIdentity: identityResourceId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        for setting in items(union(appSettings, appConfiguration)): {
          name: setting.key
          value: string(setting.value)
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Per-function warm instances: a cold start must never delay health and emergency work.
        alwaysReady: [
          for functionName in alwaysReadyFunctionNames: {
            name: 'function:${functionName}'
            instanceCount: alwaysReadyInstanceCount
          }
        ]
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Publishing with user name and password is off: deployments use Entra ID (azd does).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

// Validates bearer tokens only (an API, no browser login), so no client secret is needed. It strips any
// x-ms-client-principal a client sends and injects the validated one, which the app then trusts.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (easyAuth) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // Liveness probes and the API description stay anonymous, as their Functions are.
      excludedPaths: [
        '/api/health'
        '/api/openapi.json'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: authOpenIdIssuer
        }
        validation: {
          allowedAudiences: authAudiences
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

@description('Function App name.')
output name string = site.name

@description('Function App resource id.')
output resourceId string = site.id

@description('Default host name of the API.')
output defaultHostName string = site.properties.defaultHostName
