// The budget backend in one resource group: Event Hubs (Kafka), MySQL Flexible Server, storage for
// the SQLite analytics store, Key Vault, Application Insights, the container registry, one
// Function App per microservice, and the DevOps VM (GitLab, Jenkins, Apache). docs/deploy.md
// walks through `az deployment group create` with this file.
targetScope = 'resourceGroup'

@description('Short lowercase prefix for globally unique names, e.g. budgetprod (3-11 chars).')
@minLength(3)
@maxLength(11)
param prefix string

param location string = resourceGroup().location

@description('Image tag of budget-functions in the registry; the pipeline moves it afterwards.')
param imageTag string = 'bootstrap'

@description('Entra ID object id of the MySQL administrator group (a group, so people rotate).')
param mysqlAdminObjectId string

@description('Display name of that group, as MySQL shows the admin login.')
param mysqlAdminName string

@description('Password of the built-in MySQL admin; unusable once aad_auth_only is on.')
@secure()
param mysqlBootstrapPassword string

@description('Application ID URI the API accepts in tokens (the AuthAudience setting).')
param authAudience string

@description('CIDR allowed to reach the DevOps VM on 22 (SSH).')
param adminSourceRange string

@description('CIDR or service tag allowed on 80/443; Let\'s Encrypt HTTP-01 needs Internet on 80.')
param webSourceRange string = 'Internet'

@description('SSH public key of the VM admin (key only; password sign-in is off).')
param adminSshPublicKey string

param gitlabHost string
param jenkinsHost string
@description('Contact address Let\'s Encrypt sends expiry warnings to.')
param letsEncryptEmail string

var services = ['receiver', 'storage', 'processor', 'analyzer']
var tags = { app: 'budget', managedBy: 'bicep' }

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: { prefix: prefix, location: location, tags: tags }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: { prefix: prefix, location: location, tags: tags }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    prefix: prefix
    location: location
    tags: tags
    readerPrincipalId: identity.outputs.principalId
    logAnalyticsId: monitoring.outputs.workspaceId
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: { prefix: prefix, location: location, tags: tags, keyVaultName: vault.outputs.name }
}

module mysql 'modules/mysql.bicep' = {
  name: 'mysql'
  params: {
    prefix: prefix
    location: location
    tags: tags
    adminObjectId: mysqlAdminObjectId
    adminName: mysqlAdminName
    bootstrapPassword: mysqlBootstrapPassword
    serverIdentityId: identity.outputs.id
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: { prefix: prefix, location: location, tags: tags, keyVaultName: vault.outputs.name }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: { prefix: prefix, location: location, tags: tags, pullPrincipalId: identity.outputs.principalId }
}

module functions 'modules/functionapps.bicep' = {
  name: 'functionapps'
  params: {
    prefix: prefix
    location: location
    tags: tags
    services: services
    image: '${registry.outputs.loginServer}/budget-functions:${imageTag}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityName: identity.outputs.name
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    kafkaBrokerList: eventHubs.outputs.bootstrapServers
    kafkaPasswordSecretUri: eventHubs.outputs.connectionStringSecretUri
    webJobsStorageSecretUri: storage.outputs.connectionStringSecretUri
    storageAccountName: storage.outputs.accountName
    analyticsShareName: storage.outputs.analyticsShareName
    mysqlHost: mysql.outputs.fqdn
    mysqlDatabase: mysql.outputs.databaseName
    authAudience: authAudience
  }
}

module devops 'modules/devops-vm.bicep' = {
  name: 'devops-vm'
  params: {
    prefix: prefix
    location: location
    tags: tags
    adminSourceRange: adminSourceRange
    webSourceRange: webSourceRange
    adminSshPublicKey: adminSshPublicKey
    gitlabHost: gitlabHost
    jenkinsHost: jenkinsHost
    letsEncryptEmail: letsEncryptEmail
    registryName: registry.outputs.name
    keyVaultName: vault.outputs.name
  }
}

output functionAppNames array = functions.outputs.names
output registryLoginServer string = registry.outputs.loginServer
output devopsPublicIp string = devops.outputs.publicIp
output devopsPrincipalId string = devops.outputs.principalId
output mysqlHost string = mysql.outputs.fqdn
output appIdentityName string = identity.outputs.name
