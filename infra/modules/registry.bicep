// The registry the pipeline pushes budget-functions to and the apps pull from (managed identity).
param prefix string
param location string
param tags object
param pullPrincipalId string

var acrPull = '7f951dcc-8a7a-4a3c-9a0a-93bd15f7b9b6' // AcrPull

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: Jenkins on the DevOps VM and App Service pull/push over the public endpoint; admin user is off and every access is Entra RBAC.
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

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, pullPrincipalId, acrPull)
  scope: registry
  properties: {
    principalId: pullPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

output name string = registry.name
output id string = registry.id
output loginServer string = registry.properties.loginServer
