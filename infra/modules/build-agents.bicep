// The Jenkins build agents, launched by the controller over SSH from the devops subnet. Two, because
// a machine's managed identities are reachable by every process on it (IMDS):
//   ci      runs any branch's Jenkinsfile (job `budget`); it carries no Azure identity at all.
//   deploy  runs only the `budget-deploy` job, whose Jenkinsfile comes from main (infra/jenkins/casc.yaml
//           restricts the node to that job); it carries the deploy identity (AcrPush, Website
//           Contributor on the apps) and the migrator identity (MySQL schema changes).
// Neither has a public address: inbound is SSH from the controller, outbound the NAT gateway.
param prefix string
param location string
param tags object
param ciSubnetId string
param deploySubnetId string
param ciAgentIp string
param deployAgentIp string
@description('SSH public key of the Jenkins controller (its private half is the Key Vault secret jenkins-agent-ssh-key).')
param controllerSshPublicKey string
@description('SSH public key of the VM admin (break-glass, through the DevOps VM).')
param adminSshPublicKey string
param deployIdentityId string
param migratorIdentityId string
param ciVmSize string = 'Standard_D4s_v5'
param deployVmSize string = 'Standard_D2s_v5'

var cloudInit = replace(loadTextContent('../cloud-init/agent.yaml'), '__CONTROLLER_SSH_KEY__', controllerSshPublicKey)

var agents = [
  {
    name: 'ci'
    size: ciVmSize
    subnetId: ciSubnetId
    ip: ciAgentIp
    identity: { type: 'None' }
  }
  {
    name: 'deploy'
    size: deployVmSize
    subnetId: deploySubnetId
    ip: deployAgentIp
    identity: {
      type: 'UserAssigned'
      userAssignedIdentities: { '${deployIdentityId}': {}, '${migratorIdentityId}': {} }
    }
  }
]

resource nic 'Microsoft.Network/networkInterfaces@2023-11-01' = [for agent in agents: {
  name: '${prefix}-${agent.name}-agent-nic'
  location: location
  tags: tags
  properties: {
    ipConfigurations: [
      {
        name: 'primary'
        properties: {
          subnet: { id: agent.subnetId }
          privateIPAllocationMethod: 'Static'
          privateIPAddress: agent.ip
        }
      }
    ]
  }
}]

resource vm 'Microsoft.Compute/virtualMachines@2024-03-01' = [for (agent, i) in agents: {
  name: '${prefix}-${agent.name}-agent'
  location: location
  tags: union(tags, { role: '${agent.name}-agent' })
  identity: agent.identity
  properties: {
    hardwareProfile: { vmSize: agent.size }
    osProfile: {
      computerName: '${agent.name}-agent'
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
      // Debian 12: the Python 3.11 the project targets, as the package's own.
      imageReference: {
        publisher: 'Debian'
        offer: 'debian-12'
        sku: '12-gen2'
        version: 'latest'
      }
      osDisk: {
        createOption: 'FromImage'
        diskSizeGB: 128
        managedDisk: { storageAccountType: 'Premium_LRS' }
      }
    }
    networkProfile: { networkInterfaces: [{ id: nic[i].id }] }
    diagnosticsProfile: { bootDiagnostics: { enabled: true } }
    securityProfile: { encryptionAtHost: true }
  }
}]
