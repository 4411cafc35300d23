// The few secrets left: the DevOps VM's (Entra client secrets of GitLab and Jenkins, GitLab tokens,
// the webhook token, the agents' SSH key) and the analytics share's account key. RBAC only; every
// reader is granted on the vault (the DevOps VM, infra/modules/devops-vm.bicep) or on one secret
// (the processor and analyzer on the share key, infra/modules/storage.bicep). The deploy identity
// has no role here.
param prefix string
param location string
param tags object
param logAnalyticsId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-kv'
  location: location
  tags: tags
  properties: {
    // checkov:skip=CKV_AZURE_109: people store the DevOps secrets from their own machines (docs/deploy.md, step 5) and App Service resolves the apps' reference over the public endpoint; access is Entra RBAC only, per vault or per secret.
    // checkov:skip=CKV_AZURE_189: as CKV_AZURE_109: the public endpoint stays, guarded by RBAC.
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
