// The few secrets left: the DevOps VM's (Entra client secrets of GitLab and Jenkins, GitLab tokens,
// the webhook token, the agents' SSH key), the analytics share's account key and the Kafka
// triggers' client secrets (kafka-trigger-<service>). RBAC only; every reader is granted on the
// vault (the DevOps VM, infra/modules/devops-vm.bicep) or on one secret (the processor and
// analyzer on the share key, infra/modules/storage.bicep; storage and analyzer each on its own
// trigger secret, below). The deploy identity has no role here.
param prefix string
param location string
param tags object
param logAnalyticsId string
@description('The apps whose Kafka triggers sign in with a client secret, and their identities\' principal ids, in that order.')
param triggerServices array
param triggerReaderPrincipalIds array
@description('True once docs/deploy.md step 6 has stored the secrets: a role assignment needs its secret to exist.')
param kafkaTriggerSecretsStored bool = false

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-kv'
  location: location
  tags: tags
  properties: {
    // checkov:skip=CKV_AZURE_109: people store secrets from their own machines (docs/deploy.md, steps 6 and 7) and App Service resolves the apps' references over the public endpoint; access is Entra RBAC only, per vault or per secret.
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

// Bicep cannot mint an app registration's client secret: a person stores it (docs/deploy.md,
// step 6) under this name, and rotates it by adding versions. Each app reads its own secret
// only, through the Key Vault reference in KafkaTriggerClientSecret.
resource triggerSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [for service in triggerServices: {
  parent: vault
  name: 'kafka-trigger-${service}'
}]

resource triggerSecretReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (service, i) in triggerServices: if (kafkaTriggerSecretsStored) {
  name: guid(vault.id, 'kafka-trigger-${service}', triggerReaderPrincipalIds[i], secretsUser)
  scope: triggerSecret[i]
  properties: {
    principalId: triggerReaderPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}]

output name string = vault.name
output id string = vault.id
