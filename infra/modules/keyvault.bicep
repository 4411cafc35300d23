// Secrets the apps need at run time, read through Key Vault references by the apps' identity.
param prefix string
param location string
param tags object
@description('Principal that reads secrets (the apps\' user-assigned identity).')
param readerPrincipalId string
param logAnalyticsId string

var secretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-kv'
  location: location
  tags: tags
  properties: {
    // checkov:skip=CKV_AZURE_109: App Service resolves Key Vault references over the public endpoint unless the apps are VNet-integrated; access is limited by RBAC instead (see docs/deploy.md, hardening).
    // checkov:skip=CKV_AZURE_189: as CKV_AZURE_109: the apps resolve references over the public endpoint.
    // checkov:skip=CKV2_AZURE_32: no private endpoint for the same reason; RBAC-only access, no access policies.
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, readerPrincipalId, secretsUserRole)
  scope: vault
  properties: {
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRole)
  }
}

// Who read which secret, kept with the other logs.
resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit'
  scope: vault
  properties: {
    workspaceId: logAnalyticsId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

output name string = vault.name
output id string = vault.id
