// Event Hubs speaking Kafka: one hub per topic the code uses, the consumer groups its triggers use,
// and each app's rights by RBAC on exactly its hubs. No shared access key exists: local (SAS)
// authentication is off and every client signs in with SASL OAUTHBEARER and an Entra token for
// https://<namespace>.servicebus.windows.net/.default: the apps' own clients (producers, the
// consumer-lag reader) with their managed identities, the Functions host's Kafka triggers with
// the client credentials of their app's own registration (infra/modules/triggerregistrations.bicep).
// Topics are made here, never by the apps (Event Hubs has no Kafka AdminClient topic creation).
param prefix string
param location string
param tags object
param services array
@description('Principal ids of the apps\' identities, in the order of services.')
param appPrincipalIds array
@description('The apps whose Kafka triggers sign in with an app registration, and its principal ids, in that order.')
param triggerServices array
param triggerPrincipalIds array

@description('Standard is the smallest tier with the Kafka endpoint; 1 TU is about 1 MB/s in.')
@allowed(['Standard', 'Premium'])
param sku string = 'Standard'
param capacity int = 1

// Built-in roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles, Analytics).
var sender = '2b629674-e913-4c01-ae53-ef4638d8f975' // Azure Event Hubs Data Sender
var receiver = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde' // Azure Event Hubs Data Receiver

// 7 days, the longest Standard keeps events. ProcessedEventsRetentionDays (14, in
// infra/modules/functionapps.bicep) must exceed it: a redelivered event is recognised as long
// as the broker can still hold it.
var retentionDays = 7

// The settings' topic names (TransactionsTopic, DeadLetterTopic, ChangesTopic, QueriesTopic,
// ResultsTopic, AlertsTopic). Single-partition hubs keep their order end to end.
var hubs = [
  { name: 'transactions', partitions: 4 }
  { name: 'transactions.dlt', partitions: 1 }
  { name: 'changes', partitions: 4 }
  { name: 'queries', partitions: 4 }
  { name: 'query-results', partitions: 4 }
  { name: 'budget-alerts', partitions: 1 }
]
// Who consumes what with which group: the Kafka triggers the code registers (functions/*.py),
// their %Topic% and %Group% resolved with the settings of infra/modules/functionapps.bicep.
// tests/delivery/test_event_hubs_rights.py builds each app and compares. Declared, each hub lists
// its readers (Microsoft describes Kafka groups as also created on a client's first join).
var consumers = [
  { service: 'storage', trigger: 'store_transactions', hub: 'transactions', group: 'storage' }
  { service: 'analyzer', trigger: 'answer_queries', hub: 'queries', group: 'analyzer' }
  { service: 'analyzer', trigger: 'budget_alerts', hub: 'changes', group: 'analyzer-alerts' }
  { service: 'analyzer', trigger: 'deliver_change_webhooks', hub: 'changes', group: 'webhooks' }
  { service: 'analyzer', trigger: 'deliver_webhooks', hub: 'budget-alerts', group: 'webhooks' }
]
// The same, one entry per (app, hub): what each consuming app may read.
var reads = [
  { service: 'storage', hub: 'transactions' }
  { service: 'analyzer', hub: 'queries' }
  { service: 'analyzer', hub: 'changes' }
  { service: 'analyzer', hub: 'budget-alerts' }
]

// The managed identities' rights, nothing namespace-wide: each app sends where its code publishes
// (receiver: transactions; storage: the dead letters and the change feed; analyzer: query replies
// and alerts), and reads the hubs it consumes only for the consumer-lag gauge, which asks the
// broker for their ends with the app's own identity (shared/adapters/telemetry/lag.py). The
// processor reads MySQL and writes snapshots: no Event Hubs right at all.
var grants = [
  { service: 'receiver', hub: 'transactions', role: sender }
  { service: 'storage', hub: 'transactions.dlt', role: sender }
  { service: 'storage', hub: 'changes', role: sender }
  { service: 'analyzer', hub: 'query-results', role: sender }
  { service: 'analyzer', hub: 'budget-alerts', role: sender }
  { service: 'storage', hub: 'transactions', role: receiver }
  { service: 'analyzer', hub: 'queries', role: receiver }
  { service: 'analyzer', hub: 'changes', role: receiver }
  { service: 'analyzer', hub: 'budget-alerts', role: receiver }
]

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: '${prefix}-events'
  location: location
  tags: tags
  sku: { name: sku, tier: sku, capacity: capacity }
  properties: {
    kafkaEnabled: true
    minimumTlsVersion: '1.2'
    // Entra ID only: a leaked connection string would be worthless, and none is ever issued.
    disableLocalAuth: true
    isAutoInflateEnabled: sku == 'Standard'
    maximumThroughputUnits: sku == 'Standard' ? 4 : 0
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [for h in hubs: {
  parent: namespace
  name: h.name
  properties: {
    partitionCount: h.partitions
    messageRetentionInDays: retentionDays
  }
}]

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [for c in consumers: {
  name: '${namespace.name}/${c.hub}/${c.group}'
  dependsOn: [hub]
}]

resource grantedHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = [for g in grants: {
  parent: namespace
  name: g.hub
}]

resource grant 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (g, i) in grants: {
  name: guid(namespace.id, g.hub, g.service, g.role)
  scope: grantedHub[i]
  properties: {
    principalId: appPrincipalIds[indexOf(services, g.service)]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', g.role)
  }
  dependsOn: [hub]
}]

resource readHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = [for r in reads: {
  parent: namespace
  name: r.hub
}]

// The triggers' app registrations: Data Receiver on exactly the hubs their app consumes.
resource triggerGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (r, i) in reads: {
  name: guid(namespace.id, r.hub, r.service, receiver, 'kafka-trigger')
  scope: readHub[i]
  properties: {
    principalId: triggerPrincipalIds[indexOf(triggerServices, r.service)]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', receiver)
  }
  dependsOn: [hub]
}]

output bootstrapServers string = '${namespace.name}.servicebus.windows.net:9093'
output name string = namespace.name
// What a Kafka client asks Entra ID for (KafkaTriggerScope for the triggers).
output tokenScope string = 'https://${namespace.name}.servicebus.windows.net/.default'
