"""Issue 11, defect 6: no shared Event Hubs key; each app's own identity with exactly its rights."""

from __future__ import annotations

import json

from bicep_json import resource, variable

MODULE = "infra/modules/eventhubs.bicep"
SEND, RECEIVE = "sender", "receiver"
RIGHTS = {
    ("receiver", "transactions", SEND),
    ("storage", "transactions", RECEIVE),
    ("storage", "transactions.dlt", SEND),
    ("storage", "changes", SEND),
    ("analyzer", "queries", RECEIVE),
    ("analyzer", "changes", RECEIVE),
    ("analyzer", "budget-alerts", RECEIVE),
    ("analyzer", "query-results", SEND),
    ("analyzer", "budget-alerts", SEND),
}


def test_the_hubs_and_groups_the_code_uses(bicep):
    template = bicep(MODULE)
    hubs = {h["name"]: h["partitions"] for h in variable(template, "hubs")}
    assert hubs == {
        "transactions": 4,
        "transactions.dlt": 1,
        "changes": 4,
        "queries": 4,
        "query-results": 4,
        "budget-alerts": 1,
    }
    assert variable(template, "groups") == ["storage", "analyzer", "analyzer-alerts", "webhooks"]
    # ProcessedEventsRetentionDays (14) must outlive what the broker can redeliver (7).
    assert variable(template, "retentionDays") == 7
    assert resource(template, "hub")["properties"]["messageRetentionInDays"] == "retentionDays"
    common = variable(bicep("infra/modules/functionapps.bicep"), "common")
    assert int(common["ProcessedEventsRetentionDays"]) > variable(template, "retentionDays")


def test_each_app_gets_exactly_its_rights_on_exactly_its_hubs(bicep):
    template = bicep(MODULE)
    grants = {(g["service"], g["hub"], g["role"]) for g in variable(template, "grants")}
    assert grants == RIGHTS
    assert not any(g[0] == "processor" for g in grants)
    assert variable(template, SEND) == "2b629674-e913-4c01-ae53-ef4638d8f975"  # Azure Event Hubs Data Sender
    assert variable(template, RECEIVE) == "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"  # Azure Event Hubs Data Receiver
    grant = resource(template, "grant")
    # Scoped to the hub itself (an `existing` reference per grant), not to the namespace.
    assert grant["scope"]["operator"]["operands"] == {"operand_1": "grantedHub", "operand_2": "i"}
    assert template["resources"]["grantedHub"]["type"] == "Microsoft.EventHub/namespaces/eventhubs"


def test_no_key_exists_to_leak(bicep, repo):
    template = bicep(MODULE)
    assert resource(template, "namespace")["properties"]["disableLocalAuth"] is True
    types = {r["type"] for r in template["resources"].values()}
    assert "Microsoft.EventHub/namespaces/authorizationRules" not in types
    assert "listKeys" not in (repo / MODULE).read_text()
    common = variable(bicep("infra/modules/functionapps.bicep"), "common")
    assert common["KafkaSaslMechanism"] == "OAUTHBEARER"
    assert "KafkaPassword" not in common and "KafkaUsername" not in common


def test_each_app_is_its_own_identity_everywhere(bicep):
    template = bicep("infra/modules/functionapps.bicep")
    per_app = json.dumps(resource(template, "app")["identity"])
    assert "identityIds[i]" in per_app
    identity = template["variables"]["identitySettings"]["value"]["config"]
    assert identity["AZURE_CLIENT_ID"] == identity["AzureWebJobsStorage__clientId"]
    assert identity["DATABASE_URL"] == "mysql+pymysql://${identityNames[i]}@${mysqlHost}:3306/${mysqlDatabase}"
    identities = bicep("infra/modules/identity.bicep")["resources"]
    assert identities["app"]["config"]["config"]["name"] == "${prefix}-${service}"


def test_the_local_broker_has_the_same_topics(repo, bicep):
    hubs = {h["name"]: h["partitions"] for h in variable(bicep(MODULE), "hubs")}
    compose = (repo / "local_kafka" / "docker-compose.yml").read_text()
    specs = compose.split("for spec in ", 1)[1].split(";", 1)[0].split()
    assert {s.split(":")[0]: int(s.split(":")[1]) for s in specs} == hubs
