"""Issue 11, defect 1: the app registration is code, issues v2.0 tokens, and the apps expect exactly those."""

from __future__ import annotations

import json

from bicep_json import accessor, resource, variable
from function_apps import app_settings

from shared.settings import SERVICES

MODULE = "infra/modules/appregistration.bicep"


def test_the_app_registration_is_declared_with_the_graph_extension(repo, bicep):
    config = json.loads((repo / "infra" / "bicepconfig.json").read_text())
    reference = config["extensions"]["microsoftGraphV1"]
    assert reference.startswith("br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:")
    assert (repo / MODULE).read_text().splitlines().count("extension microsoftGraphV1") == 1
    types = {r["type"] + "@" + r["api_version"] for r in bicep(MODULE)["resources"].values()}
    assert types == {"Microsoft.Graph/applications@v1.0", "Microsoft.Graph/servicePrincipals@v1.0"}


def test_it_issues_v2_tokens_with_the_admin_role_and_the_dashboard_scope(bicep):
    template = bicep(MODULE)
    app = resource(template, "app")
    # Without this Entra issues v1.0 tokens (iss https://sts.windows.net/<tenant>/), which the apps refuse.
    assert app["api"]["requestedAccessTokenVersion"] == 2
    assert app["signInAudience"] == "AzureADMyOrg"
    [role] = app["appRoles"]
    assert (role["value"], role["allowedMemberTypes"], role["isEnabled"]) == ("Budget.Admin", ["User"], True)
    [scope] = app["api"]["oauth2PermissionScopes"]
    assert (scope["value"], scope["type"], scope["isEnabled"]) == ("access_as_user", "User", True)
    # Stable ids, so a redeploy keeps consents and role assignments.
    assert role["id"] == "adminRoleId" and scope["id"] == "scopeId"
    assert template["variables"]["adminRoleId"]["value"]["function"]["type"] == "guid"
    assert variable(template, "identifierUri").startswith("api://${tenant().tenantId}/")
    assert app["identifierUris"] == ["identifierUri"]
    assert app["spa"]["redirectUris"] == ["${dashboardOrigin}/", "${stagingDashboardOrigin}/"]


def test_the_dashboard_redirects_are_the_receivers_origins_on_both_slots(bicep):
    modules = bicep("infra/main.bicep")["modules"]
    assert modules["appRegistration"]["detail"]["path"] == "modules/appregistration.bicep"
    params = modules["appRegistration"]["config"]["params"]
    assert params["dashboardOrigin"] == "https://${hosts.receiver}"
    assert params["stagingDashboardOrigin"] == "https://${stagingHosts.receiver}"
    main = bicep("infra/main.bicep")
    assert variable(main, "hosts")["receiver"] == "${prefix}-receiver.azurewebsites.net"
    # A slot's default host name is <app>-<slot>.azurewebsites.net.
    assert variable(main, "stagingHosts") == {s: f"${{prefix}}-{s}-staging.azurewebsites.net" for s in SERVICES}


def test_every_app_expects_the_v2_token_shape(bicep):
    template = bicep("infra/modules/functionapps.bicep")
    common = variable(template, "common")
    assert common["AuthIssuer"] == "${authority}/v2.0"
    assert template["variables"]["authority"]["value"] == "${environment().authentication.loginEndpoint}${tenant}"
    # A v2.0 access token's aud is the bare client id, never api://...
    assert common["AuthAudience"] == "authClientId"
    assert common["AuthJwksUrl"] == "${authority}/discovery/v2.0/keys"
    assert common["AuthAdminRole"] == "Budget.Admin"
    # The dashboard (the receiver's) signs in to the same registration and asks for its scope.
    receiver = app_settings(template, "receiver")
    assert (receiver["AuthClientId"], receiver["AuthScope"]) == ("authClientId", "authScope")
    params = bicep("infra/main.bicep")["modules"]["functions"]["config"]["params"]
    assert accessor(params["authClientId"]) == ("appRegistration", "outputs", "clientId")
    assert accessor(params["authScope"]) == ("appRegistration", "outputs", "scope")
    outputs = bicep(MODULE)["outputs"]
    assert outputs["scope"]["value"] == "${identifierUri}/access_as_user"
    assert accessor(outputs["clientId"]["value"]) == ("app", "appId")
    settings = [resource(template, name)["properties"] for name in ("settings", "stagingSettings")]
    assert all("common" in json.dumps(s) for s in settings)
