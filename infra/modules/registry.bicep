// The registry the deploy agent pushes budget-functions to and the apps pull from (managed identity).
param prefix string
param location string
param tags object
@description('The apps\' identities: AcrPull each.')
param pullPrincipalIds array
@description('The deploy identity: AcrPush, its only right here.')
param pushPrincipalId string

// Built-in roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles, Containers).
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d' // AcrPull
var acrPush = '8311e382-0749-4cb8-b61a-304f252e45ec' // AcrPush

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: the deploy agent pushes and App Service pulls over the public endpoint; admin user is off and every access is Entra RBAC.
  // checkov:skip=CKV_AZURE_163: image scanning is Defender for Containers, enabled per subscription (docs/deploy.md), not a registry property.
  // checkov:skip=CKV_AZURE_164: content trust needs Premium and a signing pipeline; the pipeline deploys by immutable commit tag instead.
  // checkov:skip=CKV_AZURE_165: one region: geo-replication needs Premium and buys nothing for four apps in one region.
  // checkov:skip=CKV_AZURE_166: quarantine needs Premium and a scanner that releases images.
  // checkov:skip=CKV_AZURE_167: retention of untagged manifests needs Premium; tags are commits, so nothing is untagged.
  // checkov:skip=CKV_AZURE_233: zone redundancy needs Premium; a lost registry is rebuilt by the pipeline.
  // checkov:skip=CKV_AZURE_237: dedicated data endpoints need Premium and matter only behind a firewall.
  name: '${prefix}acr'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in pullPrincipalIds: {
  name: guid(registry.id, principalId, acrPull)
  scope: registry
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}]

resource push 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, pushPrincipalId, acrPush)
  scope: registry
  properties: {
    principalId: pushPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPush)
  }
}

output name string = registry.name
output id string = registry.id
output loginServer string = registry.properties.loginServer
