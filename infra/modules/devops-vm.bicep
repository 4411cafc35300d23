// The DevOps VM: GitLab CE, the Jenkins controller and Apache (TLS via Let's Encrypt) on one Ubuntu
// host, set up by cloud-init from the files in infra/apache, infra/gitlab, infra/jenkins and
// infra/devops. Inbound (infra/modules/network.bicep): 22 from adminSourceRange, 80/443 from
// webSourceRange, nothing else. No build runs here (the controller has no executors): its identity
// reads the DevOps secrets from Key Vault at bootstrap and has no other right; pushing images and
// deploying is the deploy agent's identity (infra/modules/build-agents.bicep).
param prefix string
param location string
param tags object
@description('The devops subnet (infra/modules/network.bicep).')
param subnetId string
param adminSshPublicKey string
param gitlabHost string
param jenkinsHost string
param letsEncryptEmail string
param registryName string
param keyVaultName string
@description('What the deploy agent\'s pipeline needs to know, written into Jenkins\' configuration.')
param mysqlHost string
param migratorClientId string
param deployClientId string
param ciAgentHost string
param deployAgentHost string
param vmSize string = 'Standard_D4s_v5'

// Built-in role (learn.microsoft.com/azure/role-based-access-control/built-in-roles, Security).
var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User

// Each repo file goes into cloud-init base64-encoded, so its text needs no YAML escaping.
var ci00 = loadTextContent('../cloud-init/devops.yaml')
var ci01 = replace(ci00, '__SITE_CONF__', loadFileAsBase64('../apache/site.conf'))
var ci02 = replace(ci01, '__TLS_CONF__', loadFileAsBase64('../apache/tls.conf'))
var ci03 = replace(ci02, '__HTTP_REDIRECT_CONF__', loadFileAsBase64('../apache/http-redirect.conf'))
var ci04 = replace(ci03, '__GITLAB_CONF__', loadFileAsBase64('../apache/gitlab.conf'))
var ci05 = replace(ci04, '__JENKINS_CONF__', loadFileAsBase64('../apache/jenkins.conf'))
var ci06 = replace(ci05, '__CERTBOT_ISSUE__', loadFileAsBase64('../apache/certbot-issue.sh'))
var ci07 = replace(ci06, '__CERTBOT_HOOK__', loadFileAsBase64('../apache/certbot-reload-apache.sh'))
var ci08 = replace(ci07, '__CERTBOT_SERVICE__', loadFileAsBase64('../apache/certbot-renew.service'))
var ci09 = replace(ci08, '__CERTBOT_TIMER__', loadFileAsBase64('../apache/certbot-renew.timer'))
var ci10 = replace(ci09, '__GITLAB_RB__', loadFileAsBase64('../gitlab/gitlab.rb.tmpl'))
var ci11 = replace(ci10, '__GITLAB_WEBHOOK__', loadFileAsBase64('../gitlab/configure-webhook.sh'))
var ci12 = replace(ci11, '__CASC__', loadFileAsBase64('../jenkins/casc.yaml'))
var ci13 = replace(ci12, '__PLUGINS__', loadFileAsBase64('../jenkins/plugins.txt'))
var ci14 = replace(ci13, '__BOOTSTRAP__', loadFileAsBase64('../devops/bootstrap.sh'))
var ci15 = replace(ci14, '__GITLAB_HOST__', gitlabHost)
var ci16 = replace(ci15, '__JENKINS_HOST__', jenkinsHost)
var ci17 = replace(ci16, '__LE_EMAIL__', letsEncryptEmail)
var ci18 = replace(ci17, '__KEY_VAULT__', keyVaultName)
var ci19 = replace(ci18, '__ACR_NAME__', registryName)
var ci20 = replace(ci19, '__RESOURCE_GROUP__', resourceGroup().name)
var ci21 = replace(ci20, '__APP_PREFIX__', prefix)
var ci22 = replace(ci21, '__MYSQL_HOST__', mysqlHost)
var ci23 = replace(ci22, '__MIGRATOR_CLIENT_ID__', migratorClientId)
var ci24 = replace(ci23, '__DEPLOY_CLIENT_ID__', deployClientId)
var ci25 = replace(ci24, '__CI_AGENT_HOST__', ciAgentHost)
var ci26 = replace(ci25, '__DEPLOY_AGENT_HOST__', deployAgentHost)
var cloudInit = ci26

resource publicIp 'Microsoft.Network/publicIPAddresses@2023-11-01' = {
  name: '${prefix}-devops-ip'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    publicIPAllocationMethod: 'Static'
    dnsSettings: { domainNameLabel: '${prefix}-devops' }
  }
}

resource nic 'Microsoft.Network/networkInterfaces@2023-11-01' = {
  name: '${prefix}-devops-nic'
  location: location
  tags: tags
  properties: {
    ipConfigurations: [
      {
        name: 'primary'
        properties: {
          subnet: { id: subnetId }
          privateIPAllocationMethod: 'Dynamic'
          publicIPAddress: { id: publicIp.id }
        }
      }
    ]
  }
}

resource vm 'Microsoft.Compute/virtualMachines@2024-03-01' = {
  name: '${prefix}-devops'
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    hardwareProfile: { vmSize: vmSize }
    osProfile: {
      computerName: 'devops'
      adminUsername: 'azureuser'
      customData: base64(cloudInit)
      // Everything is set up by cloud-init; no VM extension may be added behind its back.
      allowExtensionOperations: false
      linuxConfiguration: {
        disablePasswordAuthentication: true
        ssh: {
          publicKeys: [
            { path: '/home/azureuser/.ssh/authorized_keys', keyData: adminSshPublicKey }
          ]
        }
        patchSettings: { patchMode: 'AutomaticByPlatform', assessmentMode: 'AutomaticByPlatform' }
      }
    }
    storageProfile: {
      imageReference: {
        publisher: 'Canonical'
        offer: '0001-com-ubuntu-server-jammy'
        sku: '22_04-lts-gen2'
        version: 'latest'
      }
      osDisk: {
        createOption: 'FromImage'
        diskSizeGB: 256
        managedDisk: { storageAccountType: 'Premium_LRS' }
      }
    }
    networkProfile: { networkInterfaces: [{ id: nic.id }] }
    diagnosticsProfile: { bootDiagnostics: { enabled: true } }
    securityProfile: { encryptionAtHost: true }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// bootstrap.sh (run as root, never by a build) reads the GitLab and Jenkins secrets from the vault.
resource readSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, vm.id, secretsUser)
  scope: vault
  properties: {
    principalId: vm.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}

output publicIp string = publicIp.properties.ipAddress
output fqdn string = publicIp.properties.dnsSettings.fqdn
output principalId string = vm.identity.principalId
