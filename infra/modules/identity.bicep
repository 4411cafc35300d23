// Who is who. Each app has its own user-assigned identity: its Event Hubs rights, its MySQL user,
// its telemetry and its image pull are its own, so one compromised app cannot act as another.
// The deploy agent carries two more: `deploy` (push images, update the apps: nothing else) and
// `migrator` (the only MySQL user that may change the schema). MySQL has its own identity to look
// up Entra principals.
param prefix string
param location string
param tags object
param services array

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = [for service in services: {
  name: '${prefix}-${service}'
  location: location
  tags: union(tags, { service: service })
}]

resource deploy 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-deploy'
  location: location
  tags: tags
}

resource migrator 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-migrator'
  location: location
  tags: tags
}

resource mysqlServer 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-mysql-server'
  location: location
  tags: tags
}

// Arrays in the order of `services`, which every module receives too.
output appIds array = [for (service, i) in services: app[i].id]
output appNames array = [for (service, i) in services: app[i].name]
output appPrincipalIds array = [for (service, i) in services: app[i].properties.principalId]
output appClientIds array = [for (service, i) in services: app[i].properties.clientId]
output deployId string = deploy.id
output deployPrincipalId string = deploy.properties.principalId
output deployClientId string = deploy.properties.clientId
output migratorId string = migrator.id
output migratorName string = migrator.name
output migratorClientId string = migrator.properties.clientId
output mysqlServerIdentityId string = mysqlServer.id
output mysqlServerPrincipalId string = mysqlServer.properties.principalId
