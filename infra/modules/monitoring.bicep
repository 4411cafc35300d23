// Logs and traces for everything: a workspace-based Application Insights the apps report to with
// OpenTelemetry (azure-monitor-opentelemetry). Ingestion takes Entra ID tokens only: the
// instrumentation key in the connection string no longer admits anything on its own.
param prefix string
param location string
param tags object
@description('Identities that send telemetry (the four apps): Monitoring Metrics Publisher each.')
param publisherPrincipalIds array

// Monitoring Metrics Publisher: the role Entra-authenticated ingestion needs, for all telemetry
// despite its name (learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
var metricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${prefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${prefix}-insights'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Entra-only ingestion: each app authenticates with its identity
    // (APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=<its client id>).
    DisableLocalAuth: true
  }
}

resource publishers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in publisherPrincipalIds: {
  name: guid(insights.id, principalId, metricsPublisher)
  scope: insights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisher)
  }
}]

output workspaceId string = workspace.id
output appInsightsConnectionString string = insights.properties.ConnectionString
