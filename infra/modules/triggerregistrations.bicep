// The Kafka triggers' sign-in: one Entra ID app registration per consuming app (storage, analyzer).
// The Functions Kafka extension cannot sign in with a managed identity, and the namespace has no
// key (local auth off), so each consuming app's triggers use OIDC client credentials of a
// registration made for that app alone (functions/kafka.py, trigger_security). Its service
// principal is Azure Event Hubs Data Receiver on exactly the event hubs that app consumes
// (infra/modules/eventhubs.bicep); it has no API permission and no other role. The apps' own
// producers keep their managed identities. Bicep cannot mint client secrets (passwordCredentials
// is read-only in the Graph extension): docs/deploy.md, step 6, creates and rotates them into
// Key Vault, where the app setting KafkaTriggerClientSecret refers to them.
extension microsoftGraphV1

param prefix string
@description('The apps whose Kafka triggers sign in, e.g. [storage, analyzer].')
param consumers array

resource app 'Microsoft.Graph/applications@v1.0' = [for service in consumers: {
  uniqueName: '${prefix}-${service}-kafka-trigger'
  displayName: 'budget ${service} Kafka trigger (${prefix})'
  signInAudience: 'AzureADMyOrg'
  notes: 'Client credentials of the ${service} app\'s Kafka triggers on Event Hubs; secret in Key Vault (docs/deploy.md).'
}]

// The principal the role assignments name (client-credential tokens are issued to it).
resource principal 'Microsoft.Graph/servicePrincipals@v1.0' = [for (service, i) in consumers: {
  appId: app[i].appId
}]

// In the order of consumers.
output clientIds array = [for (service, i) in consumers: app[i].appId]
output principalIds array = [for (service, i) in consumers: principal[i].id]
