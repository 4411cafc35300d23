// The Functions host's own storage (AzureWebJobsStorage: timer leases, Kafka checkpoints are in
// Event Hubs) and the Azure Files share holding the SQLite analytics store that the processor
// writes and the analyzer reads.
param prefix string
param location string
param tags object
param keyVaultName string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43: the name is prefix + 'store' with prefix limited to 3-11 characters in main.bicep; checkov cannot resolve the parameter.
  // checkov:skip=CKV_AZURE_33: no queues are used; queue logging would record nothing.
  // checkov:skip=CKV_AZURE_206: ZRS/GRS is not needed: the analytics store is rebuilt from MySQL by the sync, and host state is disposable.
  // checkov:skip=CKV_AZURE_59: App Service mounts Azure Files and reads AzureWebJobsStorage over the public endpoint unless the apps are VNet-integrated; the firewall default is tightened in the hardening step of docs/deploy.md.
  // checkov:skip=CKV_AZURE_35: same reason as CKV_AZURE_59.
  // checkov:skip=CKV2_AZURE_33: no private endpoint for the same reason.
  // checkov:skip=CKV2_AZURE_1: Microsoft-managed keys; the data is derived and rebuildable, customer-managed keys add a rotation duty without benefit here.
  name: '${prefix}store'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    // checkov:skip=CKV2_AZURE_38: soft delete is on for files (below); blobs hold only host leases.
    // checkov:skip=CKV2_AZURE_40: shared key access is required: the Azure Files mount of App Service authenticates with the account key.
    // checkov:skip=CKV2_AZURE_41: no SAS is issued by this deployment.
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
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

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'webjobs-storage'
  properties: {
    // checkov:skip=CKV_AZURE_41: rotated with the account key (docs/deploy.md), not by date.
    value: 'DefaultEndpointsProtocol=https;AccountName=${account.name};AccountKey=${account.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
    contentType: 'storage connection string (AzureWebJobsStorage)'
  }
}

output accountName string = account.name
output analyticsShareName string = analytics.name
output connectionStringSecretUri string = secret.properties.secretUri
