// The user-assigned identity the Function App runs as; every role is granted to it (role-assignments.bicep).

@description('Required. Identity name.')
@minLength(3)
@maxLength(128)
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Identity name.')
output name string = identity.name

@description('Identity resource id.')
output resourceId string = identity.id

@description('Principal (object) id, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client id, for the `…__clientId` app settings.')
output clientId string = identity.properties.clientId
