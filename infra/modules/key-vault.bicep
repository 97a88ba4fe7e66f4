// The app's secrets, read through Key Vault references (`@Microsoft.KeyVault(...)` app settings) by the
// app's identity (its Key Vault Secrets User role is in role-assignments.bicep): RBAC authorization,
// purge protection, no access policies and no secret in any output.

@description('Required. Key Vault name (3–24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Region.')
param location string

@description('Optional. Resource tags.')
param tags object = {}

@description('Optional. The webhook signing secret; empty stores none (webhook deliveries then wait and dead-letter).')
@secure()
param webhookSigningSecret string = ''

@description('Optional. Name of the secret holding the webhook signing key.')
param webhookSecretName string = 'webhook-signing-secret'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(webhookSigningSecret)) {
  parent: vault
  name: webhookSecretName
  properties: {
    value: webhookSigningSecret
  }
}

@description('The vault\'s name.')
output name string = vault.name

@description('The vault\'s resource id.')
output resourceId string = vault.id
