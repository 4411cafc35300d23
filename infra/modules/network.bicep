// One virtual network for everything that talks privately: the DevOps VM, the two build agents,
// the Function Apps' outbound traffic (VNet integration, every packet routed through it) and
// MySQL (private access, no public endpoint). Each subnet's NSG admits only what its tenant needs;
// in particular the apps reach nothing inside the network but MySQL on 3306, so a webhook aimed
// at a private address (GitLab, Jenkins, the agents) finds no path even if the code let it through.
param prefix string
param location string
param tags object
@description('CIDR allowed to reach the DevOps VM on 22 (SSH).')
param adminSourceRange string
@description('CIDR or service tag allowed on 80/443; Let\'s Encrypt HTTP-01 needs Internet on 80.')
param webSourceRange string

var space = '10.20.0.0/16'
var prefixes = {
  devops: '10.20.1.0/24'
  ciAgent: '10.20.2.0/24'
  deployAgent: '10.20.3.0/24'
  apps: '10.20.4.0/24'
  mysql: '10.20.5.0/24'
}
// Fixed addresses, so the controller's JCasC names its agents before they exist (Azure keeps .0-.3).
var ciAgentIp = '10.20.2.10'
var deployAgentIp = '10.20.3.10'

// The default rules admit the whole VNet (AllowVnetInBound/OutBound); these close it per subnet.
var denyVnetInbound = {
  name: 'deny-vnet-inbound'
  properties: {
    priority: 4000
    direction: 'Inbound'
    access: 'Deny'
    protocol: '*'
    sourceAddressPrefix: 'VirtualNetwork'
    sourcePortRange: '*'
    destinationAddressPrefix: '*'
    destinationPortRange: '*'
  }
}
var denyVnetOutbound = {
  name: 'deny-vnet-outbound'
  properties: {
    priority: 4000
    direction: 'Outbound'
    access: 'Deny'
    protocol: '*'
    sourceAddressPrefix: '*'
    sourcePortRange: '*'
    destinationAddressPrefix: 'VirtualNetwork'
    destinationPortRange: '*'
  }
}
// The controller launches its agents over SSH (infra/jenkins/casc.yaml); nothing else comes in.
var sshFromController = {
  name: 'ssh-from-controller'
  properties: {
    priority: 100
    direction: 'Inbound'
    access: 'Allow'
    protocol: 'Tcp'
    sourceAddressPrefix: prefixes.devops
    sourcePortRange: '*'
    destinationAddressPrefix: '*'
    destinationPortRange: '22'
  }
}
var mysqlOut = {
  name: 'mysql-out'
  properties: {
    priority: 100
    direction: 'Outbound'
    access: 'Allow'
    protocol: 'Tcp'
    sourceAddressPrefix: '*'
    sourcePortRange: '*'
    destinationAddressPrefix: prefixes.mysql
    destinationPortRange: '3306'
  }
}

resource devopsNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${prefix}-devops-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'ssh-from-admins'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: adminSourceRange
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '22'
        }
      }
      {
        // checkov:skip=CKV_AZURE_160: port 80 only answers Let's Encrypt's HTTP-01 challenge and redirects to HTTPS (infra/apache/http-redirect.conf).
        name: 'web'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: webSourceRange
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRanges: ['80', '443']
        }
      }
      {
        // The defaults would still admit the virtual network (the CI agent runs any branch's code).
        name: 'deny-everything-else'
        properties: {
          priority: 4096
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

// Runs every branch's code: reaches the Internet (packages, images), nothing in the network.
resource ciAgentNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${prefix}-ci-agent-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [sshFromController, denyVnetInbound, denyVnetOutbound]
  }
}

// Runs main's pipeline only; its migrator identity needs MySQL, nothing else in the network.
resource deployAgentNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${prefix}-deploy-agent-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [sshFromController, mysqlOut, denyVnetInbound, denyVnetOutbound]
  }
}

// The apps' outbound: MySQL, then the Internet (Event Hubs, Entra ID, webhook receivers).
resource appsNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${prefix}-apps-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [mysqlOut, denyVnetOutbound]
  }
}

resource mysqlNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${prefix}-mysql-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'mysql-from-apps-and-migrator'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: [prefixes.apps, prefixes.deployAgent]
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '3306'
        }
      }
      {
        // The server's own subnet (high-availability replication stays inside it).
        name: 'within-subnet'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: '*'
          sourceAddressPrefix: prefixes.mysql
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
      denyVnetInbound
    ]
  }
}

// Outbound Internet for the subnets without public addresses (agents) and one stable egress
// address for the apps, which webhook receivers can allow-list.
resource natIp 'Microsoft.Network/publicIPAddresses@2023-11-01' = {
  name: '${prefix}-nat-ip'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: { publicIPAllocationMethod: 'Static' }
}

resource nat 'Microsoft.Network/natGateways@2023-11-01' = {
  name: '${prefix}-nat'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    publicIpAddresses: [{ id: natIp.id }]
    idleTimeoutInMinutes: 4
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: '${prefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [space] }
    subnets: [
      {
        name: 'devops'
        properties: {
          addressPrefix: prefixes.devops
          networkSecurityGroup: { id: devopsNsg.id }
        }
      }
      {
        name: 'ci-agent'
        properties: {
          addressPrefix: prefixes.ciAgent
          networkSecurityGroup: { id: ciAgentNsg.id }
          natGateway: { id: nat.id }
        }
      }
      {
        name: 'deploy-agent'
        properties: {
          addressPrefix: prefixes.deployAgent
          networkSecurityGroup: { id: deployAgentNsg.id }
          natGateway: { id: nat.id }
        }
      }
      {
        // App Service VNet integration (Elastic Premium): delegated to the plan; the storage
        // account admits this subnet through its service endpoint and nothing else.
        name: 'apps'
        properties: {
          addressPrefix: prefixes.apps
          networkSecurityGroup: { id: appsNsg.id }
          natGateway: { id: nat.id }
          serviceEndpoints: [{ service: 'Microsoft.Storage' }]
          delegations: [
            { name: 'web', properties: { serviceName: 'Microsoft.Web/serverFarms' } }
          ]
        }
      }
      {
        // MySQL Flexible Server private access (VNet integration) needs a subnet delegated to it.
        name: 'mysql'
        properties: {
          addressPrefix: prefixes.mysql
          networkSecurityGroup: { id: mysqlNsg.id }
          delegations: [
            { name: 'mysql', properties: { serviceName: 'Microsoft.DBforMySQL/flexibleServers' } }
          ]
        }
      }
    ]
  }
}

// Private access resolves the server's name through this zone; its name must end in
// .mysql.database.azure.com (learn.microsoft.com, "Private Network Access ... Azure Database for MySQL").
resource mysqlZone 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: '${prefix}.private.mysql.database.azure.com'
  location: 'global'
  tags: tags
}

resource mysqlZoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: mysqlZone
  name: '${prefix}-vnet'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: vnet.id }
  }
}

output devopsSubnetId string = vnet.properties.subnets[0].id
output ciAgentSubnetId string = vnet.properties.subnets[1].id
output deployAgentSubnetId string = vnet.properties.subnets[2].id
output appsSubnetId string = vnet.properties.subnets[3].id
output mysqlSubnetId string = vnet.properties.subnets[4].id
output mysqlDnsZoneId string = mysqlZone.id
output ciAgentIp string = ciAgentIp
output deployAgentIp string = deployAgentIp
output egressIp string = natIp.properties.ipAddress
