// The Functions host's own storage (AzureWebJobsStorage: timer leases and host keys, reached with
// each app's identity) and the Azure Files share holding the SQLite analytics store that the
// processor writes and the analyzer reads. Only the apps' subnet gets through the firewall.
param prefix string
param location string
param tags object
param keyVaultName string
@description('The apps\' integration subnet (service endpoint Microsoft.Storage).')
param appsSubnetId string
@description('All four apps: Storage Blob Data Owner, what identity-based host storage needs.')
param hostPrincipalIds array
@description('The apps that mount the analytics share (processor, analyzer): read the key secret.')
param shareReaderPrincipalIds array

// Built-in roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var blobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43: the name is prefix + 'store' with prefix limited to 3-11 characters in main.bicep; checkov cannot resolve the parameter.
  // checkov:skip=CKV_AZURE_33: no queues are used; queue logging would record nothing.
  // checkov:skip=CKV_AZURE_206: ZRS/GRS is not needed: the analytics store is rebuilt from MySQL by the sync, and host state is disposable.
  // checkov:skip=CKV_AZURE_59: the public endpoint stays for the service endpoint of the apps' subnet; its firewall denies everything else (networkAcls below).
  // checkov:skip=CKV2_AZURE_33: the apps' subnet comes in through a service endpoint, which needs no private endpoint.
  // checkov:skip=CKV2_AZURE_1: Microsoft-managed keys; the data is derived and rebuildable, customer-managed keys add a rotation duty without benefit here.
  name: '${prefix}store'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    // checkov:skip=CKV2_AZURE_38: soft delete is on for files (below); blobs hold only host leases.
    // checkov:skip=CKV2_AZURE_40: shared key access is required: App Service's Azure Files (SMB) mount authenticates with the account key only.
    // checkov:skip=CKV2_AZURE_41: no SAS is issued by this deployment.
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
      virtualNetworkRules: [{ id: appsSubnetId, action: 'Allow' }]
    }
  }
}

resource files 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    shareDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource analytics 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: files
  name: 'analytics'
  properties: {
    shareQuota: 100
    enabledProtocols: 'SMB'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Azure Files (SMB) mounts do not take managed identities, only the account key: it lives here
// and reaches the mount through a Key Vault reference and @AppSettingRef(AnalyticsShareKey), never
// through the template's output or the site config (learn.microsoft.com, Azure Functions
// "Mount Azure Files" and "Use Key Vault references as app settings").
resource shareKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'analytics-share-key'
  properties: {
    // checkov:skip=CKV_AZURE_41: rotated with the account key (docs/deploy.md), not by date; an expiry would silently unmount the share.
    value: account.listKeys().keys[0].value
    contentType: 'storage account key (Azure Files mount of the analytics share)'
  }
}

resource hostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in hostPrincipalIds: {
  name: guid(account.id, principalId, blobDataOwner)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwner)
  }
}]

// On the one secret, not the vault: these apps can read the share key and nothing else there.
resource shareKeyReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in shareReaderPrincipalIds: {
  name: guid(shareKey.id, principalId, secretsUser)
  scope: shareKey
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}]

output accountName string = account.name
output analyticsShareName string = analytics.name
output shareKeySecretUri string = shareKey.properties.secretUri
