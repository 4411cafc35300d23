// One Function App per microservice, all running the same container image on one Elastic Premium
// plan (Kafka triggers need Premium); BudgetServices picks the service. Each app has a staging
// slot: the pipeline deploys there, smoke-tests /api/health and swaps.
param prefix string
param location string
param tags object
param services array
param image string
param identityId string
param identityClientId string
param identityName string
param appInsightsConnectionString string
param kafkaBrokerList string
param kafkaPasswordSecretUri string
param webJobsStorageSecretUri string
param storageAccountName string
param analyticsShareName string
param mysqlHost string
param mysqlDatabase string
param authAudience string

@allowed(['EP1', 'EP2', 'EP3'])
param planSku string = 'EP1'

// The processor publishes immutable snapshots of its SQLite analytics store to the share, the analyzer
// reads the newest one: both mount it (docs/analytics-store.md).
var analyticsServices = ['processor', 'analyzer']
var analyticsMount = '/mounts/analytics'
var tenant = subscription().tenantId
var authority = '${environment().authentication.loginEndpoint}${tenant}'

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  // checkov:skip=CKV_AZURE_212: the plan scales out elastically (min 1, burst to maximumElasticWorkerCount); a fixed 2-instance floor doubles the cost of an idle personal-budget backend.
  // checkov:skip=CKV_AZURE_225: zone redundancy needs 3 always-on instances; accepted risk documented in docs/deploy.md.
  name: '${prefix}-plan'
  location: location
  tags: tags
  kind: 'elastic'
  sku: { name: planSku, tier: 'ElasticPremium' }
  properties: {
    reserved: true
    maximumElasticWorkerCount: 10
  }
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// The names shared.settings.Settings reads (validation_alias), plus the host's own.

var common = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'python'
  // A container brings its own code: no /home content share.
  WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
  AzureWebJobsStorage: '@Microsoft.KeyVault(SecretUri=${webJobsStorageSecretUri})'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  KafkaBrokerList: kafkaBrokerList
  KafkaSecurityProtocol: 'SASL_SSL'
  KafkaSaslMechanism: 'PLAIN'
  // Event Hubs' convention: the literal user name $ConnectionString, the string as password.
  KafkaUsername: '$ConnectionString'
  KafkaPassword: '@Microsoft.KeyVault(SecretUri=${kafkaPasswordSecretUri})'
  KafkaDeliveryTimeoutMs: '30000'
  TransactionsTopic: 'transactions'
  DeadLetterTopic: 'transactions.dlt'
  QueriesTopic: 'queries'
  ResultsTopic: 'query-results'
  AlertsTopic: 'budget-alerts'
  StorageConsumerGroup: 'storage'
  AnalyzerConsumerGroup: 'analyzer'
  AlertsConsumerGroup: 'analyzer-alerts'
  // No password in the URL: with DatabaseAuthMode=entra the code uses an Entra token for it.
  DATABASE_URL: 'mysql+pymysql://${identityName}@${mysqlHost}:3306/${mysqlDatabase}'
  DatabaseSslCa: '/etc/ssl/certs/ca-certificates.crt'
  DatabaseAuthMode: 'entra'
  AZURE_CLIENT_ID: identityClientId
  AuthIssuer: '${authority}/v2.0'
  AuthAudience: authAudience
  AuthJwksUrl: '${authority}/discovery/v2.0/keys'
  AuthAdminRole: 'Budget.Admin'
  SyncSchedule: '0 */1 * * * *'
  // The processor's working store: local disk (WAL is unsafe on SMB), rebuilt from MySQL on a new instance.
  AnalyticsStorePath: '/tmp/analytics/analytics.db'
  AnalyticsSnapshotDir: '${analyticsMount}/snapshots'
  AnalyticsSnapshotMinIntervalS: '300'
}

var siteConfig = {
  linuxFxVersion: 'DOCKER|${image}'
  acrUseManagedIdentityCreds: true
  acrUserManagedIdentityID: identityClientId
  ftpsState: 'Disabled'
  minTlsVersion: '1.2'
  scmMinTlsVersion: '1.2'
  http20Enabled: true
  healthCheckPath: '/api/health'
  remoteDebuggingEnabled: false
  minimumElasticInstanceCount: 1
}

resource app 'Microsoft.Web/sites@2023-12-01' = [for service in services: {
  // checkov:skip=CKV_AZURE_17: callers authenticate with Entra ID bearer tokens checked by the code; client certificates would lock out browsers and the Kafka-only apps have no callers.
  // checkov:skip=CKV_AZURE_56: App Service Authentication (Easy Auth) would duplicate the token check the code does, and would block the anonymous /api/health probe.
  // checkov:skip=CKV_AZURE_221: public: the receiver API is the product; the Kafka-only apps expose only /api/health.
  // checkov:skip=CKV_AZURE_222: same as CKV_AZURE_221.
  // checkov:skip=CKV_AZURE_13: same as CKV_AZURE_56.
  // checkov:skip=CKV_AZURE_212: the Elastic Premium plan scales out on demand from one always-ready instance; a fixed two-instance floor doubles the idle cost.
  // checkov:skip=CKV_AZURE_18: http20Enabled is true in the shared siteConfig variable, which checkov does not resolve.
  name: '${prefix}-${service}'
  location: location
  tags: union(tags, { service: service })
  kind: 'functionapp,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    publicNetworkAccess: 'Enabled'
    siteConfig: siteConfig
  }
}]

resource staging 'Microsoft.Web/sites/slots@2023-12-01' = [for (service, i) in services: {
  // checkov:skip=CKV_AZURE_17: as the production slot.
  // checkov:skip=CKV_AZURE_56: as the production slot.
  // checkov:skip=CKV_AZURE_221: as the production slot.
  // checkov:skip=CKV_AZURE_222: as the production slot.
  // checkov:skip=CKV_AZURE_13: as the production slot.
  // checkov:skip=CKV_AZURE_212: the Elastic Premium plan scales out on demand from one always-ready instance; a fixed two-instance floor doubles the idle cost.
  // checkov:skip=CKV_AZURE_18: http20Enabled is true in the shared siteConfig variable, which checkov does not resolve.
  parent: app[i]
  name: 'staging'
  location: location
  tags: union(tags, { service: service, slot: 'staging' })
  kind: 'functionapp,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    publicNetworkAccess: 'Enabled'
    siteConfig: siteConfig
  }
}]

// App settings as an object (the names shared.settings.Settings reads), one service per app.
resource settings 'Microsoft.Web/sites/config@2023-12-01' = [for (service, i) in services: {
  // checkov:skip=CKV_AZURE_13: a config child of the site, read by checkov as a site; authentication is decided on the site (see there).
  // checkov:skip=CKV_AZURE_222: as CKV_AZURE_13: public access is decided on the site.
  // checkov:skip=CKV_AZURE_63: HTTP logs of a container app go to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING), not to file-system logging.
  // checkov:skip=CKV_AZURE_65: detailed error pages would show stack traces to callers; errors leave as problem details.
  // checkov:skip=CKV_AZURE_66: failed-request tracing is an IIS feature; Application Insights records failed requests.
  // checkov:skip=CKV_AZURE_80: no .NET: the image is Python.
  // checkov:skip=CKV_AZURE_88: this resource is the Azure Files mount / settings itself; checkov reads the child as a site.
  parent: app[i]
  name: 'appsettings'
  properties: union(common, { BudgetServices: service })
}]

resource stagingSettings 'Microsoft.Web/sites/slots/config@2023-12-01' = [for (service, i) in services: {
  parent: staging[i]
  name: 'appsettings'
  properties: union(common, { BudgetServices: service })
}]

// Azure Files mount for the analytics store, on both slots so a swap keeps it.
resource mount 'Microsoft.Web/sites/config@2023-12-01' = [for (service, i) in services: if (contains(analyticsServices, service)) {
  // checkov:skip=CKV_AZURE_13: a config child of the site, read by checkov as a site; authentication is decided on the site (see there).
  // checkov:skip=CKV_AZURE_222: as CKV_AZURE_13: public access is decided on the site.
  // checkov:skip=CKV_AZURE_63: HTTP logs of a container app go to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING), not to file-system logging.
  // checkov:skip=CKV_AZURE_65: detailed error pages would show stack traces to callers; errors leave as problem details.
  // checkov:skip=CKV_AZURE_66: failed-request tracing is an IIS feature; Application Insights records failed requests.
  // checkov:skip=CKV_AZURE_80: no .NET: the image is Python.
  // checkov:skip=CKV_AZURE_88: this resource is the Azure Files mount / settings itself; checkov reads the child as a site.
  parent: app[i]
  name: 'azurestorageaccounts'
  properties: {
    analytics: {
      type: 'AzureFiles'
      accountName: storageAccount.name
      shareName: analyticsShareName
      mountPath: analyticsMount
      accessKey: storageAccount.listKeys().keys[0].value
    }
  }
}]

resource stagingMount 'Microsoft.Web/sites/slots/config@2023-12-01' = [for (service, i) in services: if (contains(analyticsServices, service)) {
  parent: staging[i]
  name: 'azurestorageaccounts'
  properties: {
    analytics: {
      type: 'AzureFiles'
      accountName: storageAccount.name
      shareName: analyticsShareName
      mountPath: analyticsMount
      accessKey: storageAccount.listKeys().keys[0].value
    }
  }
}]

output names array = [for (service, i) in services: app[i].name]
