// Event Hubs speaking Kafka: one hub per topic the code uses, the consumer groups, and each app's
// rights by managed identity and RBAC on exactly its hubs. No shared access key exists: local
// (SAS) authentication is off and every client signs in with SASL OAUTHBEARER and an Entra token
// for https://<namespace>.servicebus.windows.net/.default.
// Topics are made here, never by the apps (Event Hubs has no Kafka AdminClient topic creation).
param prefix string
param location string
param tags object
param services array
@description('Principal ids of the apps\' identities, in the order of services.')
param appPrincipalIds array

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
// StorageConsumerGroup, AnalyzerConsumerGroup, AlertsConsumerGroup, WebhooksConsumerGroup. Which
// function reads which topic with which group is the code's business; groups are free on
// Standard (20 a hub), so every hub gets all of them.
var groups = ['storage', 'analyzer', 'analyzer-alerts', 'webhooks']

// Exactly the rights each app needs, nothing namespace-wide. The processor reads MySQL and writes
// snapshots: it gets no Event Hubs right at all.
var grants = [
  { service: 'receiver', hub: 'transactions', role: sender }
  { service: 'storage', hub: 'transactions', role: receiver }
  { service: 'storage', hub: 'transactions.dlt', role: sender }
  { service: 'storage', hub: 'changes', role: sender }
  { service: 'analyzer', hub: 'queries', role: receiver }
  { service: 'analyzer', hub: 'changes', role: receiver }
  { service: 'analyzer', hub: 'budget-alerts', role: receiver }
  { service: 'analyzer', hub: 'query-results', role: sender }
  { service: 'analyzer', hub: 'budget-alerts', role: sender }
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

// Every (hub, group) pair: index i walks the hubs slowly and the groups quickly.
resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [for i in range(0, length(hubs) * length(groups)): {
  name: '${namespace.name}/${hubs[i / length(groups)].name}/${groups[i % length(groups)]}'
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

output bootstrapServers string = '${namespace.name}.servicebus.windows.net:9093'
output name string = namespace.name
