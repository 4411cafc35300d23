// One Function App per microservice, all running the same container image on one Elastic Premium
// plan (Kafka triggers need Premium); BudgetServices picks the service. Each app runs as its own
// identity, sends its outbound traffic through the virtual network (MySQL is private there) and
// has a staging slot: the pipeline deploys there, smoke-tests /api/health and swaps. In the
// staging slot every non-HTTP trigger is off, by slot-sticky settings, so new code never consumes
// production's topics or runs the processor's timer before the swap, and the old code stops
// doing so once it has been swapped out.
param prefix string
param location string
param tags object
param services array
param image string
@description('The apps\' user-assigned identities, in the order of services: ids, client ids, names.')
param identityIds array
param identityClientIds array
param identityNames array
@description('The deploy identity: Website Contributor on each app, its only right here.')
param deployPrincipalId string
@description('Subnet delegated to Microsoft.Web/serverFarms for VNet integration.')
param appsSubnetId string
param appInsightsConnectionString string
param kafkaBrokerList string
param storageAccountName string
param analyticsShareName string
param shareKeySecretUri string
param mysqlHost string
param mysqlDatabase string
@description('The app registration: client id (the v2 token audience) and the dashboard\'s scope.')
param authClientId string
param authScope string
@description('Host names of the production apps, keyed by service (DashboardApiUrls, CORS).')
param hosts object

@allowed(['EP1', 'EP2', 'EP3'])
param planSku string = 'EP1'

// The processor publishes immutable snapshots of its SQLite analytics store to the share, the analyzer
// reads the newest one: both mount it (docs/analytics-store.md).
var analyticsServices = ['processor', 'analyzer']
var analyticsMount = '/mounts/analytics'
var tenant = subscription().tenantId
var authority = '${environment().authentication.loginEndpoint}${tenant}'
// Built-in role (learn.microsoft.com/azure/role-based-access-control/built-in-roles, Web and Mobile).
var websiteContributor = 'de139f84-1756-47ae-9be6-808fbbe84772' // Website Contributor

// The dashboard is served by the receiver at /; the browser calls storage and analyzer directly.
var dashboardOrigin = 'https://${hosts.receiver}'
var corsOrigins = {
  receiver: []
  storage: [dashboardOrigin]
  processor: []
  analyzer: [dashboardOrigin]
}

// Every function that is not HTTP, by the name the Python v2 model gives it. The ASGI HTTP function
// (http_app_func) is never listed: staging must answer /api/health for the smoke test.
// AzureWebJobs.<name>.Disabled is the host's switch (learn.microsoft.com/azure/azure-functions/disable-function);
// as slot settings (slotConfigNames below) the values stay with the slot across a swap.
var triggerSwitches = [
  'AzureWebJobs.store_transactions.Disabled'
  'AzureWebJobs.sync_analytics.Disabled'
  'AzureWebJobs.answer_queries.Disabled'
  'AzureWebJobs.budget_alerts.Disabled'
  'AzureWebJobs.deliver_webhooks.Disabled'
]
var disabledInProduction = {
  'AzureWebJobs.store_transactions.Disabled': 'false'
  'AzureWebJobs.sync_analytics.Disabled': 'false'
  'AzureWebJobs.answer_queries.Disabled': 'false'
  'AzureWebJobs.budget_alerts.Disabled': 'false'
  'AzureWebJobs.deliver_webhooks.Disabled': 'false'
}
var disabledInStaging = {
  'AzureWebJobs.store_transactions.Disabled': 'true'
  // The processor's timer too: a staging processor never publishes into production's share.
  'AzureWebJobs.sync_analytics.Disabled': 'true'
  'AzureWebJobs.answer_queries.Disabled': 'true'
  'AzureWebJobs.budget_alerts.Disabled': 'true'
  'AzureWebJobs.deliver_webhooks.Disabled': 'true'
}

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

// The names the code reads (shared.settings.Settings), plus the host's own.
var common = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'python'
  // A container brings its own code: no /home content share.
  WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
  // Host storage by identity, no connection string (Azure Functions "identity-based connections").
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  KafkaBrokerList: kafkaBrokerList
  KafkaSecurityProtocol: 'SASL_SSL'
  // An Entra token of the app's identity (AZURE_CLIENT_ID) per connection; Event Hubs has no key.
  KafkaSaslMechanism: 'OAUTHBEARER'
  KafkaDeliveryTimeoutMs: '30000'
  TransactionsTopic: 'transactions'
  DeadLetterTopic: 'transactions.dlt'
  ChangesTopic: 'changes'
  QueriesTopic: 'queries'
  ResultsTopic: 'query-results'
  AlertsTopic: 'budget-alerts'
  StorageConsumerGroup: 'storage'
  AnalyzerConsumerGroup: 'analyzer'
  AlertsConsumerGroup: 'analyzer-alerts'
  WebhooksConsumerGroup: 'webhooks'
  // Must exceed the hubs' 7-day retention (infra/modules/eventhubs.bicep): a redelivered event is
  // still recognised as processed.
  ProcessedEventsRetentionDays: '14'
  DatabaseSslCa: '/etc/ssl/certs/ca-certificates.crt'
  DatabaseAuthMode: 'entra'
  // Entra ID v2.0 access tokens of the app registration (infra/modules/appregistration.bicep).
  AuthIssuer: '${authority}/v2.0'
  AuthAudience: authClientId
  AuthJwksUrl: '${authority}/discovery/v2.0/keys'
  AuthAdminRole: 'Budget.Admin'
  AuthClientId: authClientId
  AuthScope: authScope
  SyncSchedule: '0 */1 * * * *'
  // The processor's working store: local disk (WAL is unsafe on SMB), rebuilt from MySQL on a new instance.
  AnalyticsStorePath: '/tmp/analytics/analytics.db'
  AnalyticsSnapshotDir: '${analyticsMount}/snapshots'
  AnalyticsSnapshotMinIntervalS: '300'
}

// What differs per app: its service, its identity (Kafka, MySQL user, host storage, telemetry).
var identitySettings = [for (service, i) in services: {
  BudgetServices: service
  OTEL_SERVICE_NAME: 'budget-${service}'
  AZURE_CLIENT_ID: identityClientIds[i]
  AzureWebJobsStorage__clientId: identityClientIds[i]
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientIds[i]}'
  // No password in the URL: with DatabaseAuthMode=entra the code signs in with a token.
  DATABASE_URL: 'mysql+pymysql://${identityNames[i]}@${mysqlHost}:3306/${mysqlDatabase}'
}]
// The mounting apps' share key, resolved by App Service with the app's identity.
var shareKeySetting = { AnalyticsShareKey: '@Microsoft.KeyVault(SecretUri=${shareKeySecretUri})' }
// The receiver serves the dashboard, which calls these hosts directly (CORS below).
var dashboardApiUrls = {
  storage: 'https://${hosts.storage}'
  analyzer: 'https://${hosts.analyzer}'
}
var dashboardSetting = { DashboardApiUrls: string(dashboardApiUrls) }
var perApp = [for (service, i) in services: union(identitySettings[i], contains(analyticsServices, service) ? shareKeySetting : {}, service == 'receiver' ? dashboardSetting : {})]

resource app 'Microsoft.Web/sites@2023-12-01' = [for (service, i) in services: {
  // checkov:skip=CKV_AZURE_17: callers authenticate with Entra ID bearer tokens checked by the code; client certificates would lock out browsers and the Kafka-only apps have no callers.
  // checkov:skip=CKV_AZURE_56: App Service Authentication (Easy Auth) would duplicate the token check the code does, and would block the anonymous /api/health probe.
  // checkov:skip=CKV_AZURE_221: public: the receiver serves the dashboard and the API, storage and analyzer answer the dashboard; the processor exposes only /api/health.
  // checkov:skip=CKV_AZURE_222: same as CKV_AZURE_221.
  // checkov:skip=CKV_AZURE_13: same as CKV_AZURE_56.
  // checkov:skip=CKV_AZURE_212: the Elastic Premium plan scales out on demand from one always-ready instance; a fixed two-instance floor doubles the idle cost.
  // checkov:skip=CKV_AZURE_18: http20Enabled is true in siteConfig below; this check also wants an ARM apiVersion key that checkov's Bicep reading never provides, so it fails every Bicep site.
  name: '${prefix}-${service}'
  location: location
  tags: union(tags, { service: service })
  kind: 'functionapp,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityIds[i]}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityIds[i]
    virtualNetworkSubnetId: appsSubnetId
    publicNetworkAccess: 'Enabled'
    // Written out on both slots (not a shared variable) so checkov can read every property.
    siteConfig: {
      linuxFxVersion: 'DOCKER|${image}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identityClientIds[i]
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      healthCheckPath: '/api/health'
      remoteDebuggingEnabled: false
      minimumElasticInstanceCount: 1
      // Every outbound packet through the VNet, so the apps subnet's NSG applies to all of it.
      vnetRouteAllEnabled: true
      cors: { allowedOrigins: corsOrigins[service], supportCredentials: false }
    }
  }
}]

resource staging 'Microsoft.Web/sites/slots@2023-12-01' = [for (service, i) in services: {
  // checkov:skip=CKV_AZURE_17: as the production slot.
  // checkov:skip=CKV_AZURE_56: as the production slot.
  // checkov:skip=CKV_AZURE_221: as the production slot.
  // checkov:skip=CKV_AZURE_222: as the production slot.
  // checkov:skip=CKV_AZURE_13: as the production slot.
  // checkov:skip=CKV_AZURE_212: the Elastic Premium plan scales out on demand from one always-ready instance; a fixed two-instance floor doubles the idle cost.
  parent: app[i]
  name: 'staging'
  location: location
  tags: union(tags, { service: service, slot: 'staging' })
  kind: 'functionapp,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityIds[i]}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityIds[i]
    virtualNetworkSubnetId: appsSubnetId
    publicNetworkAccess: 'Enabled'
    // Written out on both slots (not a shared variable) so checkov can read every property.
    siteConfig: {
      linuxFxVersion: 'DOCKER|${image}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identityClientIds[i]
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      healthCheckPath: '/api/health'
      remoteDebuggingEnabled: false
      minimumElasticInstanceCount: 1
      // Every outbound packet through the VNet, so the apps subnet's NSG applies to all of it.
      vnetRouteAllEnabled: true
      cors: { allowedOrigins: corsOrigins[service], supportCredentials: false }
    }
  }
}]

resource settings 'Microsoft.Web/sites/config@2023-12-01' = [for (service, i) in services: {
  // checkov:skip=CKV_AZURE_13: a config child of the site, read by checkov as a site; authentication is decided on the site (see there).
  // checkov:skip=CKV_AZURE_222: as CKV_AZURE_13: public access is decided on the site.
  // checkov:skip=CKV_AZURE_63: HTTP logs of a container app go to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING), not to file-system logging.
  // checkov:skip=CKV_AZURE_65: detailed error pages would show stack traces to callers; errors leave as problem details.
  // checkov:skip=CKV_AZURE_66: failed-request tracing is an IIS feature; Application Insights records failed requests.
  // checkov:skip=CKV_AZURE_80: no .NET: the image is Python.
  // checkov:skip=CKV_AZURE_88: this resource is the settings themselves; checkov reads the config child as a site.
  parent: app[i]
  name: 'appsettings'
  properties: union(common, perApp[i], disabledInProduction)
}]

resource stagingSettings 'Microsoft.Web/sites/slots/config@2023-12-01' = [for (service, i) in services: {
  parent: staging[i]
  name: 'appsettings'
  properties: union(common, perApp[i], disabledInStaging)
}]

// The trigger switches stay with their slot when the slots swap.
resource sticky 'Microsoft.Web/sites/config@2023-12-01' = [for (service, i) in services: {
  // checkov:skip=CKV_AZURE_13: a config child of the site, read by checkov as a site; authentication is decided on the site (see there).
  // checkov:skip=CKV_AZURE_222: as CKV_AZURE_13: public access is decided on the site.
  // checkov:skip=CKV_AZURE_63: as on the appsettings child: logs go to Application Insights.
  // checkov:skip=CKV_AZURE_65: as on the appsettings child: no detailed error pages.
  // checkov:skip=CKV_AZURE_66: as on the appsettings child: no IIS failed-request tracing.
  // checkov:skip=CKV_AZURE_80: no .NET: the image is Python.
  // checkov:skip=CKV_AZURE_88: this resource is the list of slot settings; checkov reads the config child as a site.
  parent: app[i]
  name: 'slotConfigNames'
  properties: {
    appSettingNames: triggerSwitches
  }
  dependsOn: [settings, stagingSettings]
}]

// Azure Files mount for the analytics store, the same share on both slots: the staging processor
// never writes it (its timer is off above) and the staging analyzer reads production's snapshots,
// so the smoke test sees real data. The key arrives through a Key Vault reference (AnalyticsShareKey).
resource mount 'Microsoft.Web/sites/config@2023-12-01' = [for (service, i) in services: if (contains(analyticsServices, service)) {
  // checkov:skip=CKV_AZURE_13: a config child of the site, read by checkov as a site; authentication is decided on the site (see there).
  // checkov:skip=CKV_AZURE_222: as CKV_AZURE_13: public access is decided on the site.
  // checkov:skip=CKV_AZURE_63: as on the appsettings child: logs go to Application Insights.
  // checkov:skip=CKV_AZURE_65: as on the appsettings child: no detailed error pages.
  // checkov:skip=CKV_AZURE_66: as on the appsettings child: no IIS failed-request tracing.
  // checkov:skip=CKV_AZURE_80: no .NET: the image is Python.
  // checkov:skip=CKV_AZURE_88: this resource is the Azure Files mount itself; checkov reads the config child as a site.
  parent: app[i]
  name: 'azurestorageaccounts'
  properties: {
    analytics: {
      type: 'AzureFiles'
      accountName: storageAccountName
      shareName: analyticsShareName
      mountPath: analyticsMount
      accessKey: '@AppSettingRef(AnalyticsShareKey)'
    }
  }
  dependsOn: [settings]
}]

resource stagingMount 'Microsoft.Web/sites/slots/config@2023-12-01' = [for (service, i) in services: if (contains(analyticsServices, service)) {
  parent: staging[i]
  name: 'azurestorageaccounts'
  properties: {
    analytics: {
      type: 'AzureFiles'
      accountName: storageAccountName
      shareName: analyticsShareName
      mountPath: analyticsMount
      accessKey: '@AppSettingRef(AnalyticsShareKey)'
    }
  }
  dependsOn: [stagingSettings]
}]

// No publishing with user names and passwords (FTP, Kudu/zip deploy): images come from the
// registry, and the deploy identity uses ARM.
resource noFtp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = [for (service, i) in services: {
  parent: app[i]
  name: 'ftp'
  properties: { allow: false }
}]

resource noScm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = [for (service, i) in services: {
  parent: app[i]
  name: 'scm'
  properties: { allow: false }
}]

resource stagingNoFtp 'Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies@2023-12-01' = [for (service, i) in services: {
  parent: staging[i]
  name: 'ftp'
  properties: { allow: false }
}]

resource stagingNoScm 'Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies@2023-12-01' = [for (service, i) in services: {
  parent: staging[i]
  name: 'scm'
  properties: { allow: false }
}]

// The deploy agent sets the staging image, restarts and swaps: Website Contributor on each app
// (its slots are children), nothing on the plan, the settings' secrets or anything else.
resource deployer 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (service, i) in services: {
  name: guid(app[i].id, deployPrincipalId, websiteContributor)
  scope: app[i]
  properties: {
    principalId: deployPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', websiteContributor)
  }
}]

output names array = [for (service, i) in services: app[i].name]
output hostNames array = [for (service, i) in services: app[i].properties.defaultHostName]
