"""Issue 11, defect 6: no shared Event Hubs key; each app's own identity with exactly its rights, and each
consuming app's trigger registration with exactly the hubs and groups its triggers use (read from the code)."""

from __future__ import annotations

import json

from bicep_json import accessor, expr, resource, variable
from function_apps import APPS, app_settings, functions

from shared.settings import SERVICES

MODULE = "infra/modules/eventhubs.bicep"
SEND, RECEIVE = "sender", "receiver"
# Where each app's own clients publish (shared/services: receiver -> transactions; storage -> dead letters and the
# change feed; analyzer -> query replies and alerts).
SENDS = {
    ("receiver", "transactions"),
    ("storage", "transactions.dlt"),
    ("storage", "changes"),
    ("analyzer", "query-results"),
    ("analyzer", "budget-alerts"),
}


def _resolved(value: str, settings: dict) -> str:
    """A binding's `%Name%` as the host resolves it from the app's settings in the Bicep."""
    return settings[value.strip("%")] if value.startswith("%") else value


def _consumed(bicep) -> set[tuple[str, str, str, str]]:
    """(app, function, hub, group) of every Kafka trigger the code registers, resolved with the Bicep's settings."""
    template = bicep(APPS)
    found = set()
    for service in SERVICES:
        settings = app_settings(template, service)
        for f in functions(service):
            if f.kind == "kafkaTrigger":
                topic, group = _resolved(f.trigger["topic"], settings), _resolved(f.trigger["consumerGroup"], settings)
                found.add((service, f.name, topic, group))
    return found


def test_the_hubs_the_code_uses(bicep):
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
    settings = app_settings(bicep(APPS), "storage")
    topics = ("TransactionsTopic", "DeadLetterTopic", "ChangesTopic", "QueriesTopic", "ResultsTopic", "AlertsTopic")
    assert {settings[name] for name in topics} == set(hubs)
    # ProcessedEventsRetentionDays must outlive what the broker can redeliver.
    assert variable(template, "retentionDays") == 7
    assert resource(template, "hub")["properties"]["messageRetentionInDays"] == "retentionDays"
    assert int(settings["ProcessedEventsRetentionDays"]) > variable(template, "retentionDays")


def test_each_hub_has_the_consumer_groups_of_the_triggers_that_read_it(bicep):
    template = bicep(MODULE)
    declared = {(c["service"], c["trigger"], c["hub"], c["group"]) for c in variable(template, "consumers")}
    consumed = _consumed(bicep)
    assert consumed and declared == consumed
    hubs = {h["name"] for h in variable(template, "hubs")}
    assert {hub for _, _, hub, _ in consumed} <= hubs
    groups = resource(template, "consumerGroup")
    assert template["resources"]["consumerGroup"]["config"]["loop_type"]["detail"]["array_name"] == "consumers"
    assert groups["name"] == "${namespace.name}/${c.hub}/${c.group}"


def test_each_consuming_app_reads_exactly_the_hubs_its_triggers_consume(bicep):
    template = bicep(MODULE)
    reads = {(r["service"], r["hub"]) for r in variable(template, "reads")}
    assert reads == {(service, hub) for service, _, hub, _ in _consumed(bicep)}
    assert len(variable(template, "reads")) == len(reads)  # one role assignment per (app, hub)
    # The triggers' registrations: Data Receiver on each read hub, that hub alone, nothing else anywhere.
    grant = resource(template, "triggerGrant")
    assert template["resources"]["triggerGrant"]["config"]["loop_type"]["detail"]["array_name"] == "reads"
    assert expr(grant["scope"]) == "readHub[i]"
    assert template["resources"]["readHub"]["existing"] is True
    assert expr(resource(template, "readHub")["name"]) == "r.hub"
    assert expr(grant["properties"]["principalId"]) == "triggerPrincipalIds[indexOf(triggerServices, r.service)]"
    assert expr(grant["properties"]["roleDefinitionId"]).endswith(f", {RECEIVE})")
    params = bicep("infra/main.bicep")["modules"]["eventHubs"]["config"]["params"]
    assert params["triggerServices"] == "kafkaConsumers"
    assert expr(params["triggerPrincipalIds"]) == "triggerRegistrations.outputs.principalIds"


def test_each_apps_identity_sends_where_it_publishes_and_reads_only_what_it_consumes(bicep):
    template = bicep(MODULE)
    grants = {(g["service"], g["hub"], g["role"]) for g in variable(template, "grants")}
    reads = {(r["service"], r["hub"]) for r in variable(template, "reads")}
    # Receive only for the consumer-lag gauge's watermark reads (shared/adapters/telemetry/lag.py).
    assert grants == {(s, h, SEND) for s, h in SENDS} | {(s, h, RECEIVE) for s, h in reads}
    assert not any(g[0] == "processor" for g in grants)
    assert variable(template, SEND) == "2b629674-e913-4c01-ae53-ef4638d8f975"  # Azure Event Hubs Data Sender
    assert variable(template, RECEIVE) == "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"  # Azure Event Hubs Data Receiver
    grant = resource(template, "grant")
    # Scoped to the hub itself (an `existing` reference per grant), not to the namespace.
    assert expr(grant["scope"]) == "grantedHub[i]"
    assert template["resources"]["grantedHub"]["type"] == "Microsoft.EventHub/namespaces/eventhubs"
    assert expr(grant["properties"]["principalId"]) == "appPrincipalIds[indexOf(services, g.service)]"


def test_no_key_exists_to_leak(bicep, repo):
    template = bicep(MODULE)
    assert resource(template, "namespace")["properties"]["disableLocalAuth"] is True
    types = {r["type"] for r in template["resources"].values()}
    assert "Microsoft.EventHub/namespaces/authorizationRules" not in types
    assert "listKeys" not in (repo / MODULE).read_text()
    common = variable(bicep(APPS), "common")
    assert common["KafkaSaslMechanism"] == "OAUTHBEARER"
    for service in SERVICES:
        settings = app_settings(bicep(APPS), service)
        assert "KafkaPassword" not in settings and "KafkaUsername" not in settings


def test_each_app_is_its_own_identity_everywhere(bicep):
    template = bicep(APPS)
    per_app = json.dumps(resource(template, "app")["identity"])
    assert "identityIds[i]" in per_app
    identity = template["variables"]["identitySettings"]["value"]["config"]
    assert identity["AZURE_CLIENT_ID"] == identity["AzureWebJobsStorage__clientId"]
    assert identity["DATABASE_URL"] == "mysql+pymysql://${identityNames[i]}@${mysqlHost}:3306/${mysqlDatabase}"
    identities = bicep("infra/modules/identity.bicep")["resources"]
    assert identities["app"]["config"]["config"]["name"] == "${prefix}-${service}"
    params = bicep("infra/main.bicep")["modules"]["eventHubs"]["config"]["params"]
    assert accessor(params["appPrincipalIds"]) == ("identity", "outputs", "appPrincipalIds")


def test_the_local_broker_has_the_same_topics(repo, bicep):
    hubs = {h["name"]: h["partitions"] for h in variable(bicep(MODULE), "hubs")}
    compose = (repo / "local_kafka" / "docker-compose.yml").read_text()
    specs = compose.split("for spec in ", 1)[1].split(";", 1)[0].split()
    assert {s.split(":")[0]: int(s.split(":")[1]) for s in specs} == hubs
