// Azure Database for MySQL Flexible Server: private access only (VNet integration in its own
// delegated subnet, no public endpoint, no firewall rule), TLS required, Entra ID sign-in only.
// Each app signs in as its own identity with SELECT/INSERT/UPDATE/DELETE; only the migrator may
// change the schema (infra/mysql/grants.sql.tmpl, applied once by an Entra admin).
// Private access is chosen when a server is created; an existing public server is moved by
// restoring it into the subnet (docs/deploy.md, "Coming from the public server").
param prefix string
param location string
param tags object
param adminObjectId string
param adminName string
@secure()
param bootstrapPassword string
@description('User-assigned identity the server uses to resolve Entra principals.')
param serverIdentityId string
@description('Subnet delegated to Microsoft.DBforMySQL/flexibleServers.')
param delegatedSubnetId string
@description('Private DNS zone (*.mysql.database.azure.com) linked to the virtual network.')
param privateDnsZoneId string

param skuName string = 'Standard_B2s'
param skuTier string = 'Burstable'

resource server 'Microsoft.DBforMySQL/flexibleServers@2023-12-30' = {
  name: '${prefix}-mysql'
  location: location
  tags: tags
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
    // Reachable only from the virtual network: the apps (VNet integration) and the deploy agent.
    network: {
      delegatedSubnetResourceId: delegatedSubnetId
      privateDnsZoneResourceId: privateDnsZoneId
      publicNetworkAccess: 'Disabled'
    }
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

output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
