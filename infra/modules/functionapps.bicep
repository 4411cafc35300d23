// One Function App per microservice, all running the same container image on one Elastic Premium
// plan (Kafka triggers need Premium); BudgetServices picks the service. Each app runs as its own
// identity, sends its outbound traffic through the virtual network (MySQL is private there) and
// has a staging slot: the pipeline deploys there, smoke-tests /api/health and swaps. In the
// staging slot every non-HTTP function is off, by slot-sticky settings, so new code never consumes
// production's topics or runs a timer before the swap, and the old code stops doing so once it
// has been swapped out.
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
@description('What a Kafka client asks Entra ID for: https://<namespace>.servicebus.windows.net/.default.')
param kafkaTokenScope string
@description('The apps whose Kafka triggers sign in with an app registration, and its client ids, in that order.')
param triggerServices array
param triggerClientIds array
@description('The vault holding each trigger registration\'s client secret, kafka-trigger-<service>.')
param keyVaultName string
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
@description('Host names of their staging slots, keyed by service: the staging dashboard calls these.')
param stagingHosts object

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

// The dashboard is served by the receiver at /; the browser calls storage and analyzer directly,
// each slot's dashboard its own slot's apps (CORS is a site setting of each slot, never swapped).
var dashboardOrigin = 'https://${hosts.receiver}'
var stagingDashboardOrigin = 'https://${stagingHosts.receiver}'
var corsOrigins = {
  receiver: []
  storage: [dashboardOrigin]
  processor: []
  analyzer: [dashboardOrigin]
}
var stagingCorsOrigins = {
  receiver: []
  storage: [stagingDashboardOrigin]
  processor: []
  analyzer: [stagingDashboardOrigin]
}
// DashboardApiUrls: where the dashboard finds each API, and the base of the receiver's 202
// Location (the storage app's /api/operations/{id}). Each slot names its own slot's hosts.
var dashboardApiUrls = {
  storage: 'https://${hosts.storage}'
  analyzer: 'https://${hosts.analyzer}'
}
var stagingDashboardApiUrls = {
  storage: 'https://${stagingHosts.storage}'
  analyzer: 'https://${stagingHosts.analyzer}'
}

// What differs between the slots, per app, and stays with its slot across a swap (slotConfigNames
// below): the receiver's API hosts, and every function that is not HTTP, by the name the Python v2
// model gives it, switched by AzureWebJobs.<name>.Disabled
// (learn.microsoft.com/azure/azure-functions/disable-function). Off in staging, on in production.
// The ASGI HTTP function (http_app_func) is never switched: staging answers /api/health for the
// smoke test. tests/delivery/test_staging_slots.py builds each app and compares: a function
// renamed in the code and not here would consume production's topics from staging.
var productionSlot = {
  receiver: {
    DashboardApiUrls: string(dashboardApiUrls)
  }
  storage: {
    'AzureWebJobs.store_transactions.Disabled': 'false'
    'AzureWebJobs.load_rates.Disabled': 'false'
  }
  processor: {
    'AzureWebJobs.sync_analytics.Disabled': 'false'
  }
  analyzer: {
    'AzureWebJobs.answer_queries.Disabled': 'false'
    'AzureWebJobs.budget_alerts.Disabled': 'false'
    'AzureWebJobs.deliver_webhooks.Disabled': 'false'
    'AzureWebJobs.deliver_change_webhooks.Disabled': 'false'
    'AzureWebJobs.retry_webhooks.Disabled': 'false'
  }
}
var stagingSlot = {
  receiver: {
    DashboardApiUrls: string(stagingDashboardApiUrls)
  }
  storage: {
    'AzureWebJobs.store_transactions.Disabled': 'true'
    // The rates timer too: production loads them; a staging run would only repeat its work.
    'AzureWebJobs.load_rates.Disabled': 'true'
  }
  processor: {
    // A staging processor never publishes into production's share.
    'AzureWebJobs.sync_analytics.Disabled': 'true'
  }
  analyzer: {
    'AzureWebJobs.answer_queries.Disabled': 'true'
    'AzureWebJobs.budget_alerts.Disabled': 'true'
    'AzureWebJobs.deliver_webhooks.Disabled': 'true'
    'AzureWebJobs.deliver_change_webhooks.Disabled': 'true'
    // Two retry timers would deliver the same due webhooks twice.
    'AzureWebJobs.retry_webhooks.Disabled': 'true'
  }
}
var slotSettingNames = {
  receiver: ['DashboardApiUrls']
  storage: ['AzureWebJobs.store_transactions.Disabled', 'AzureWebJobs.load_rates.Disabled']
  processor: ['AzureWebJobs.sync_analytics.Disabled']
  analyzer: [
    'AzureWebJobs.answer_queries.Disabled'
    'AzureWebJobs.budget_alerts.Disabled'
    'AzureWebJobs.deliver_webhooks.Disabled'
    'AzureWebJobs.deliver_change_webhooks.Disabled'
    'AzureWebJobs.retry_webhooks.Disabled'
  ]
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

// What every app reads (shared.settings.Settings), plus the host's own. tests/delivery/test_app_settings.py
// holds every name to a Settings alias or a name the host reads.
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
  // The app's own clients: an Entra token of its identity (AZURE_CLIENT_ID) per connection; Event
  // Hubs has no key. The triggers sign in otherwise (KafkaTrigger* below).
  KafkaSaslMechanism: 'OAUTHBEARER'
  KafkaDeliveryTimeoutMs: '30000'
  // The topics and groups, as the event hubs and consumer groups of infra/modules/eventhubs.bicep.
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
  // Every app signs in to MySQL with its identity over TLS (storage and the analyzer keep their
  // state there; every /api/health reads the schema's revision).
  DatabaseSslCa: '/etc/ssl/certs/ca-certificates.crt'
  DatabaseAuthMode: 'entra'
  // Entra ID v2.0 access tokens of the app registration (infra/modules/appregistration.bicep).
  AuthIssuer: '${authority}/v2.0'
  AuthAudience: authClientId
  AuthJwksUrl: '${authority}/discovery/v2.0/keys'
  AuthAdminRole: 'Budget.Admin'
}

// The Kafka triggers' OIDC client credentials (functions/kafka.py, trigger_security): the app's own
// trigger registration (infra/modules/triggerregistrations.bicep), its secret a Key Vault reference
// without a version, so a rotated secret is picked up without a redeploy (docs/deploy.md, step 6).
var tokenEndpoint = '${authority}/oauth2/v2.0/token'

// What one app alone reads.
var serviceSettings = {
  receiver: {
    // The dashboard's sign-in (MSAL): the registration it signs in to and the scope it asks for.
    AuthClientId: authClientId
    AuthScope: authScope
  }
  storage: {
    KafkaTriggerClientId: triggerClientIds[indexOf(triggerServices, 'storage')]
    KafkaTriggerClientSecret: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=kafka-trigger-storage)'
    KafkaTriggerTokenEndpoint: tokenEndpoint
    KafkaTriggerScope: kafkaTokenScope
    // Must exceed the hubs' 7-day retention (infra/modules/eventhubs.bicep): a redelivered event
    // is still recognised as processed.
    ProcessedEventsRetentionDays: '14'
    // The load_rates timer fetches the ECB's files over HTTPS, out through the NAT gateway
    // (infra/modules/network.bicep: the apps' NSG closes only the virtual network).
    RatesSchedule: '0 0 16,17 * * 1-5'
    EcbDailyUrl: 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml'
    Ecb90DayUrl: 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml'
  }
  processor: {
    SyncSchedule: '0 */1 * * * *'
    // Its working store on local disk (WAL is unsafe on SMB), rebuilt from MySQL on a new instance;
    // snapshots go to the share.
    AnalyticsStorePath: '/tmp/analytics/analytics.db'
    AnalyticsSnapshotDir: '${analyticsMount}/snapshots'
    AnalyticsSnapshotMinIntervalS: '300'
  }
  analyzer: {
    KafkaTriggerClientId: triggerClientIds[indexOf(triggerServices, 'analyzer')]
    KafkaTriggerClientSecret: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=kafka-trigger-analyzer)'
    KafkaTriggerTokenEndpoint: tokenEndpoint
    KafkaTriggerScope: kafkaTokenScope
    // Reads the newest snapshot the processor published.
    AnalyticsSnapshotDir: '${analyticsMount}/snapshots'
    WebhooksRetrySchedule: '0 */1 * * * *'
  }
}

// What differs per app: its service, its identity (Kafka producers, MySQL user, host storage, telemetry).
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
var perApp = [for (service, i) in services: union(identitySettings[i], serviceSettings[service], contains(analyticsServices, service) ? shareKeySetting : {})]

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
      cors: { allowedOrigins: stagingCorsOrigins[service], supportCredentials: false }
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
  properties: union(common, perApp[i], productionSlot[service])
}]

resource stagingSettings 'Microsoft.Web/sites/slots/config@2023-12-01' = [for (service, i) in services: {
  parent: staging[i]
  name: 'appsettings'
  properties: union(common, perApp[i], stagingSlot[service])
}]

// The trigger switches and the receiver's API hosts stay with their slot when the slots swap.
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
    appSettingNames: slotSettingNames[service]
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
