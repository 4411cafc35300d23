// Azure Database for MySQL Flexible Server: TLS required, Entra ID sign-in only (the apps use
// their managed identity's token as the password; people use their Entra account).
param prefix string
param location string
param tags object
param adminObjectId string
param adminName string
@secure()
param bootstrapPassword string
@description('User-assigned identity the server uses to resolve Entra principals.')
param serverIdentityId string

param skuName string = 'Standard_B2s'
param skuTier string = 'Burstable'

resource server 'Microsoft.DBforMySQL/flexibleServers@2023-12-30' = {
  name: '${prefix}-mysql'
  location: location
  tags: tags
  // checkov:skip=CKV_AZURE_53: the Function Apps are not VNet-integrated, so MySQL is reached on its public endpoint; TLS is required, sign-in is Entra-only and the firewall admits Azure sources only.
  // checkov:skip=CKV_AZURE_94: geo-redundant backup is on (properties.backup.geoRedundantBackup below); checkov 3.3 looks for 'Backup' with a capital B and misses it.
  // checkov:skip=CKV_AZURE_96: infrastructure double encryption is a Single Server option; Flexible Server encrypts storage at rest by default.
  sku: { name: skuName, tier: skuTier }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${serverIdentityId}': {} }
  }
  properties: {
    version: '8.0.21'
    // Required at creation; aad_auth_only below makes this login unusable afterwards.
    administratorLogin: 'bootstrapadmin'
    administratorLoginPassword: bootstrapPassword
    storage: { storageSizeGB: 32, autoGrow: 'Enabled' }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Enabled'
    }
    network: { publicNetworkAccess: 'Enabled' }
  }
}

resource entraAdmin 'Microsoft.DBforMySQL/flexibleServers/administrators@2023-12-30' = {
  parent: server
  name: 'ActiveDirectory'
  properties: {
    administratorType: 'ActiveDirectory'
    login: adminName
    sid: adminObjectId
    tenantId: subscription().tenantId
    identityResourceId: serverIdentityId
  }
}

// Server parameters are applied one after another: the service rejects concurrent updates.
resource secureTransport 'Microsoft.DBforMySQL/flexibleServers/configurations@2023-12-30' = {
  parent: server
  name: 'require_secure_transport'
  properties: { value: 'ON', source: 'user-override' }
}

resource tlsVersion 'Microsoft.DBforMySQL/flexibleServers/configurations@2023-12-30' = {
  parent: server
  name: 'tls_version'
  properties: { value: 'TLSv1.2,TLSv1.3', source: 'user-override' }
  dependsOn: [secureTransport]
}

resource entraOnly 'Microsoft.DBforMySQL/flexibleServers/configurations@2023-12-30' = {
  parent: server
  name: 'aad_auth_only'
  properties: { value: 'ON', source: 'user-override' }
  dependsOn: [tlsVersion, entraAdmin]
}

resource database 'Microsoft.DBforMySQL/flexibleServers/databases@2023-12-30' = {
  parent: server
  name: 'budget'
  properties: { charset: 'utf8mb4', collation: 'utf8mb4_0900_ai_ci' }
}

// The apps reach MySQL over its public endpoint from App Service's outbound addresses; this rule
// admits Azure-internal sources only (0.0.0.0 is Azure's convention for that), never the Internet.
resource azureServices 'Microsoft.DBforMySQL/flexibleServers/firewallRules@2023-12-30' = {
  parent: server
  name: 'AllowAzureServices'
  properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }
}

output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
