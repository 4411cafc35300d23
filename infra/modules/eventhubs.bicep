// Event Hubs speaking Kafka: one hub per topic the code uses, its consumer groups on each hub.
// Topics are made here, never by the apps (Event Hubs has no Kafka AdminClient topic creation).
param prefix string
param location string
param tags object
param keyVaultName string

@description('Standard is the smallest tier with the Kafka endpoint; 1 TU is about 1 MB/s in.')
@allowed(['Standard', 'Premium'])
param sku string = 'Standard'
param capacity int = 1
param partitions int = 4

// The defaults of shared.settings.Settings (TransactionsTopic, DeadLetterTopic, ...).
var hubs = ['transactions', 'transactions.dlt', 'queries', 'query-results', 'budget-alerts']
// StorageConsumerGroup, AnalyzerConsumerGroup, AlertsConsumerGroup. Which service reads which
// topic is the code's business; groups are free on Standard (20 a hub), so each hub gets all.
var groups = ['storage', 'analyzer', 'analyzer-alerts']

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: '${prefix}-events'
  location: location
  tags: tags
  sku: { name: sku, tier: sku, capacity: capacity }
  properties: {
    kafkaEnabled: true
    minimumTlsVersion: '1.2'
    // The Functions Kafka extension signs in with SASL PLAIN and the connection string below.
    disableLocalAuth: false
    isAutoInflateEnabled: sku == 'Standard'
    maximumThroughputUnits: sku == 'Standard' ? 4 : 0
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [for name in hubs: {
  parent: namespace
  name: name
  properties: {
    partitionCount: partitions
    messageRetentionInDays: 7
  }
}]

// Every (hub, group) pair: index i walks the hubs slowly and the groups quickly.
resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [for i in range(0, length(hubs) * length(groups)): {
  name: '${namespace.name}/${hubs[i / length(groups)]}/${groups[i % length(groups)]}'
  dependsOn: [hub]
}]

// Send + Listen only: the apps cannot manage the namespace with this key.
resource appsRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: namespace
  name: 'budget-apps'
  properties: { rights: ['Send', 'Listen'] }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// KafkaPassword: read by the apps through a Key Vault reference, never placed in app settings.
resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'kafka-connection-string'
  properties: {
    value: appsRule.listKeys().primaryConnectionString
    contentType: 'Event Hubs connection string (SASL PLAIN password)'
    // checkov:skip=CKV_AZURE_41: rotated with the namespace key (docs/deploy.md), not by date; an expiry would silently stop every consumer.
  }
}

output bootstrapServers string = '${namespace.name}.servicebus.windows.net:9093'
output connectionStringSecretUri string = secret.properties.secretUri
