// One user-assigned identity for the four apps: it pulls the image, reads Key Vault, and signs in
// to MySQL (Entra ID); the MySQL server also uses it to look up Entra principals.
param prefix string
param location string
param tags object

resource apps 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-apps'
  location: location
  tags: tags
}

output id string = apps.id
output name string = apps.name
output principalId string = apps.properties.principalId
output clientId string = apps.properties.clientId
