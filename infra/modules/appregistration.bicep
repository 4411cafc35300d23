// The Entra ID app registration "budget": at once the API the four apps accept tokens for and the
// dashboard SPA that asks for them. Declared with the Microsoft Graph Bicep extension (GA since
// July 2025, types br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0, Bicep 0.36.1+;
// learn.microsoft.com/graph/templates/bicep/whats-new), so a redeploy updates it in place: uniqueName
// is its idempotency key. The deployer needs Application.ReadWrite.All (e.g. the Application
// Developer role); admin consent and Budget.Admin assignments stay manual (docs/deploy.md, step 5).
extension microsoftGraphV1

param prefix string
@description('The dashboard\'s origin, https://<receiver host>: its SPA redirect URI.')
param dashboardOrigin string
@description('The staging slot\'s dashboard origin: signing in there before a swap.')
param stagingDashboardOrigin string

var uniqueName = '${prefix}-budget'
// api://<appId> would reference the app's own appId, which Bicep cannot do in one resource; the
// tenant-qualified form is one of Entra's "secure patterns" for identifier URIs
// (learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions). v2 tokens carry the
// bare client id as audience whatever the URI is.
var identifierUri = 'api://${tenant().tenantId}/${uniqueName}'
// Stable ids: the same on every redeploy, so consents and role assignments survive it.
var scopeId = guid(tenant().tenantId, uniqueName, 'access_as_user')
var adminRoleId = guid(tenant().tenantId, uniqueName, 'Budget.Admin')

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: 'budget (${prefix})'
  signInAudience: 'AzureADMyOrg'
  identifierUris: [identifierUri]
  api: {
    // v2.0 access tokens: iss https://login.microsoftonline.com/<tenant>/v2.0, aud = client id.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: scopeId
        value: 'access_as_user'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use the budget API as the signed-in user'
        adminConsentDescription: 'Lets the budget dashboard call the budget API on behalf of the signed-in user.'
        userConsentDisplayName: 'Use your budget'
        userConsentDescription: 'Lets the budget dashboard read and change your budget on your behalf.'
      }
    ]
  }
  appRoles: [
    {
      id: adminRoleId
      value: 'Budget.Admin'
      displayName: 'Budget administrator'
      description: 'Administers the budget service (the AuthAdminRole the code checks).'
      allowedMemberTypes: ['User']
      isEnabled: true
    }
  ]
  // The dashboard is served by the receiver app at / and signs in with MSAL (auth code + PKCE),
  // on either slot (each slot's dashboard calls its own slot's APIs: DashboardApiUrls).
  spa: {
    redirectUris: ['${dashboardOrigin}/', '${stagingDashboardOrigin}/']
  }
}

// The enterprise application: where users are assigned Budget.Admin and consent is recorded.
resource principal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

output clientId string = app.appId
output identifierUri string = identifierUri
output scope string = '${identifierUri}/access_as_user'
output adminRoleId string = adminRoleId
output servicePrincipalId string = principal.id
