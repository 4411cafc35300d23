"""Issue 11, defect 11 and its kind: no database open to all of Azure, no telemetry or storage keys in
use or in site config, GitLab reachable by Entra ID only, and the apps' outbound held to what it needs."""

from __future__ import annotations

import json
import re

from bicep_json import accessor, expr, resource, variable
from function_apps import app_settings

APPS = "infra/modules/functionapps.bicep"
# Built-in role ids used anywhere in infra/, each checked against Microsoft's list
# (learn.microsoft.com/azure/role-based-access-control/built-in-roles). A wrong id fails the deployment.
BUILT_IN_ROLES = {
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "de139f84-1756-47ae-9be6-808fbbe84772": "Website Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "2b629674-e913-4c01-ae53-ef4638d8f975": "Azure Event Hubs Data Sender",
    "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": "Azure Event Hubs Data Receiver",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
}
GUID = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")


def test_mysql_has_no_public_endpoint_and_no_firewall_rule(bicep):
    template = bicep("infra/modules/mysql.bicep")
    types = {r["type"] for r in template["resources"].values()}
    assert "Microsoft.DBforMySQL/flexibleServers/firewallRules" not in types
    network = resource(template, "server")["properties"]["network"]
    assert network == {
        "delegatedSubnetResourceId": "delegatedSubnetId",
        "privateDnsZoneResourceId": "privateDnsZoneId",
        "publicNetworkAccess": "Disabled",
    }


def test_the_apps_reach_mysql_through_the_network_and_nothing_else_inside_it(bicep):
    template = bicep(APPS)
    for name in ("app", "staging"):
        body = resource(template, name)["properties"]
        assert body["virtualNetworkSubnetId"] == "appsSubnetId"
        assert body["siteConfig"]["vnetRouteAllEnabled"] is True
    network = bicep("infra/modules/network.bicep")
    rules = resource(network, "appsNsg")["properties"]["securityRules"]
    assert rules == ["mysqlOut", "denyVnetOutbound"]
    mysql_out = variable(network, "mysqlOut")["properties"]
    assert (mysql_out["access"], mysql_out["destinationPortRange"]) == ("Allow", "3306")
    deny = variable(network, "denyVnetOutbound")["properties"]
    # Webhook deliveries to a private address (GitLab, Jenkins, the agents) find no route.
    assert (deny["access"], deny["destinationAddressPrefix"], deny["priority"]) == ("Deny", "VirtualNetwork", 4000)
    mysql_in = resource(network, "mysqlNsg")["properties"]["securityRules"][0]["properties"]
    assert [accessor(p) for p in mysql_in["sourceAddressPrefixes"]] == [
        ("prefixes", "apps"),
        ("prefixes", "deployAgent"),
    ]


def test_telemetry_is_ingested_with_entra_tokens_only(bicep):
    monitoring = bicep("infra/modules/monitoring.bicep")
    assert resource(monitoring, "insights")["properties"]["DisableLocalAuth"] is True
    assert variable(monitoring, "metricsPublisher") == "3913510d-42f4-4e42-8a64-420c390055eb"
    assert resource(monitoring, "publishers")["scope"] == "insights"
    identity = bicep(APPS)["variables"]["identitySettings"]["value"]["config"]
    assert identity["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD;ClientId=${identityClientIds[i]}"
    assert identity["OTEL_SERVICE_NAME"] == "budget-${service}"
    params = bicep("infra/main.bicep")["modules"]["monitoring"]["config"]["params"]
    assert "appPrincipalIds" in json.dumps(params["publisherPrincipalIds"])


def test_no_storage_key_in_site_config_or_template_output(repo, bicep):
    template = bicep(APPS)
    for name in ("mount", "stagingMount"):
        assert resource(template, name)["properties"]["analytics"]["accessKey"] == "@AppSettingRef(AnalyticsShareKey)"
    assert variable(template, "shareKeySetting") == {
        "AnalyticsShareKey": "@Microsoft.KeyVault(SecretUri=${shareKeySecretUri})"
    }
    assert "listKeys" not in (repo / APPS).read_text()
    common = variable(template, "common")
    assert "AzureWebJobsStorage" not in common and common["AzureWebJobsStorage__credential"] == "managedidentity"
    storage = bicep("infra/modules/storage.bicep")
    acls = resource(storage, "account")["properties"]["networkAcls"]
    assert acls["defaultAction"] == "Deny" and acls["virtualNetworkRules"] == [
        {"id": "appsSubnetId", "action": "Allow"}
    ]
    # The share key is readable by the mounting apps alone, on that one secret.
    assert resource(storage, "shareKeyReaders")["scope"] == "shareKey"
    for path in (repo / "infra").rglob("*.bicep"):
        for output in bicep(str(path.relative_to(repo))).get("outputs", {}).values():
            assert "listKeys" not in json.dumps(output), path


def test_gitlab_admits_entra_id_only_and_never_links_by_email(repo):
    rb = (repo / "infra" / "gitlab" / "gitlab.rb.tmpl").read_text()
    assert "gitlab_rails['omniauth_auto_link_user'] = false" in rb
    assert "gitlab_rails['omniauth_block_auto_created_users'] = true" in rb
    assert 'uid_field: "oid"' in rb
    bootstrap = (repo / "infra" / "devops" / "bootstrap.sh").read_text()
    for setting in (
        "password_authentication_enabled_for_web",
        "password_authentication_enabled_for_git",
        "signup_enabled",
    ):
        assert f"{setting}: false" in bootstrap


def test_each_slots_dashboard_alone_may_call_its_own_slots_storage_and_analyzer(bicep):
    template = bicep(APPS)
    for slot, origin, site in (("", "dashboardOrigin", "app"), ("staging", "stagingDashboardOrigin", "staging")):
        origins = variable(template, f"{slot}CorsOrigins" if slot else "corsOrigins")
        assert origins == {"receiver": [], "storage": [origin], "processor": [], "analyzer": [origin]}
        hosts = "stagingHosts" if slot else "hosts"
        assert template["variables"][origin]["value"] == f"https://${{{hosts}.receiver}}"
        cors = resource(template, site)["properties"]["siteConfig"]["cors"]
        assert expr(cors["allowedOrigins"]) == f"{slot}{'C' if slot else 'c'}orsOrigins[service]"
        assert cors["supportCredentials"] is False


def test_each_receiver_slot_names_its_own_slots_apis(bicep):
    # DashboardApiUrls: the dashboard's API hosts and the base of the 202's Location (the storage app's
    # /api/operations/{id}); a slot setting, so the production receiver never keeps staging's hosts after a swap.
    template = bicep(APPS)
    slots = (
        ("productionSlot", "dashboardApiUrls", "hosts"),
        ("stagingSlot", "stagingDashboardApiUrls", "stagingHosts"),
    )
    for slot, urls, hosts in slots:
        assert expr(variable(template, slot)["receiver"]["DashboardApiUrls"]) == f"string({urls})"
        assert variable(template, urls) == {api: f"https://${{{hosts}.{api}}}" for api in ("storage", "analyzer")}
    assert "DashboardApiUrls" in variable(template, "slotSettingNames")["receiver"]
    for service in ("storage", "processor", "analyzer"):
        assert "DashboardApiUrls" not in app_settings(template, service)
    params = bicep("infra/main.bicep")["modules"]["functions"]["config"]["params"]
    assert (params["hosts"], params["stagingHosts"]) == ("hosts", "stagingHosts")


def test_no_publishing_with_passwords(bicep):
    template = bicep(APPS)
    policies = [r for r in template["resources"].values() if r["type"].endswith("basicPublishingCredentialsPolicies")]
    assert len(policies) == 4
    assert all(p["config"]["config"]["properties"] == {"allow": False} for p in policies)


def test_every_role_id_is_the_built_in_role_it_claims(repo):
    found = set()
    for path in (repo / "infra").rglob("*.bicep"):
        for line in path.read_text().splitlines():
            for guid in GUID.findall(line):
                found.add(guid)
                assert guid in BUILT_IN_ROLES, f"{path.name}: {line.strip()}"
                assert BUILT_IN_ROLES[guid] in line, f"{path.name}: name the role beside its id: {line.strip()}"
    assert found == set(BUILT_IN_ROLES)


def test_alert_state_is_no_longer_a_file_setting(repo):
    for path in [*(repo / "infra").rglob("*.bicep"), repo / "local_kafka" / "docker-compose.yml"]:
        assert "AlertsStatePath" not in path.read_text(), path
