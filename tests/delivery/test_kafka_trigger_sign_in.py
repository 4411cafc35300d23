"""Kafka triggers on Event Hubs sign in with OIDC client credentials (functions/kafka.py, trigger_security): each
consuming app has an app registration of its own, the four settings its bindings name, and its secret in Key Vault,
readable by that app alone. The apps' own producers keep their managed identities."""

from __future__ import annotations

from bicep_json import expr, resource, variable
from function_apps import APPS, app_settings, functions, settings_named

from shared.settings import SERVICES

REGISTRATIONS = "infra/modules/triggerregistrations.bicep"
VAULT = "infra/modules/keyvault.bicep"
TRIGGER_SETTINGS = {
    "KafkaTriggerClientId",
    "KafkaTriggerClientSecret",
    "KafkaTriggerTokenEndpoint",
    "KafkaTriggerScope",
}


def _consuming_apps() -> list[str]:
    return [s for s in SERVICES if any(f.kind == "kafkaTrigger" for f in functions(s))]


def _sign_in_names(service: str) -> set[str]:
    """The settings the app's Kafka bindings name for their sign-in (everything but topics, groups, brokers)."""
    kafka = [f for f in functions(service) if f.kind == "kafkaTrigger"]
    return set().union(*(settings_named(f) for f in kafka)) - {"KafkaBrokerList"} - _topics_and_groups(kafka)


def _topics_and_groups(kafka) -> set[str]:
    return {f.trigger[key].strip("%") for f in kafka for key in ("topic", "consumerGroup")}


def test_every_consuming_app_and_no_other_has_a_trigger_registration(bicep):
    main = bicep("infra/main.bicep")
    consumers = variable(main, "kafkaConsumers")
    assert consumers == _consuming_apps()
    modules = main["modules"]
    assert modules["triggerRegistrations"]["detail"]["path"] == "modules/triggerregistrations.bicep"
    assert modules["triggerRegistrations"]["config"]["params"]["consumers"] == "kafkaConsumers"
    template = bicep(REGISTRATIONS)
    assert template["resources"]["app"]["config"]["loop_type"]["detail"]["array_name"] == "consumers"
    app = resource(template, "app")
    # One per app (uniqueName is the Graph extension's idempotency key), in this tenant only.
    assert app["uniqueName"] == "${prefix}-${service}-kafka-trigger"
    assert app["signInAudience"] == "AzureADMyOrg"
    # No API permission, no credential in code: its only right is the Data Receiver role on its hubs.
    assert not {"requiredResourceAccess", "passwordCredentials", "keyCredentials", "api", "appRoles"} & set(app)
    assert expr(resource(template, "principal")["appId"]) == "app[i].appId"
    assert expr(template["outputs"]["principalIds"]["value"]["config"]) == "principal[i].id"
    assert expr(template["outputs"]["clientIds"]["value"]["config"]) == "app[i].appId"


def test_the_bindings_name_exactly_the_settings_the_consuming_apps_carry(bicep):
    template = bicep(APPS)
    for service in SERVICES:
        for slot in ("productionSlot", "stagingSlot"):
            settings = app_settings(template, service, slot)
            if service in _consuming_apps():
                assert _sign_in_names(service) == TRIGGER_SETTINGS, service
                assert set(settings) >= TRIGGER_SETTINGS, (service, slot)
            else:
                assert not TRIGGER_SETTINGS & set(settings), (service, slot)


def test_each_app_signs_in_as_its_own_registration_with_a_token_for_the_namespace(bicep):
    template = bicep(APPS)
    assert variable(template, "tokenEndpoint") == "${authority}/oauth2/v2.0/token"
    assert template["variables"]["authority"]["value"] == "${environment().authentication.loginEndpoint}${tenant}"
    for service in _consuming_apps():
        settings = app_settings(template, service)
        assert expr(settings["KafkaTriggerClientId"]) == f"triggerClientIds[indexOf(triggerServices, {service})]"
        assert settings["KafkaTriggerTokenEndpoint"] == "tokenEndpoint"
        assert settings["KafkaTriggerScope"] == "kafkaTokenScope"
        # Versionless, so a rotated secret is read without a redeploy; the app's own secret, never another's.
        assert settings["KafkaTriggerClientSecret"] == (
            f"@Microsoft.KeyVault(VaultName=${{keyVaultName}};SecretName=kafka-trigger-{service})"
        )
    params = bicep("infra/main.bicep")["modules"]["functions"]["config"]["params"]
    assert expr(params["kafkaTokenScope"]) == "eventHubs.outputs.tokenScope"
    assert expr(params["triggerClientIds"]) == "triggerRegistrations.outputs.clientIds"
    assert params["triggerServices"] == "kafkaConsumers"
    assert expr(params["keyVaultName"]) == "vault.outputs.name"
    scope = bicep("infra/modules/eventhubs.bicep")["outputs"]["tokenScope"]["value"]
    assert scope == "https://${namespace.name}.servicebus.windows.net/.default"


def test_the_producers_keep_their_managed_identity(bicep):
    template = bicep(APPS)
    for service in SERVICES:
        settings = app_settings(template, service)
        assert settings["KafkaSaslMechanism"] == "OAUTHBEARER"
        assert expr(settings["AZURE_CLIENT_ID"]) == "identityClientIds[i]"


def test_each_app_may_read_its_own_trigger_secret_and_nothing_else_in_the_vault(bicep):
    template = bicep(VAULT)
    secret = template["resources"]["triggerSecret"]
    assert secret["existing"] is True and resource(template, "triggerSecret")["name"] == "kafka-trigger-${service}"
    reader = template["resources"]["triggerSecretReader"]
    # A role assignment needs its secret: granted once step 6 of the runbook has stored them.
    assert reader["config"]["condition"] == "kafkaTriggerSecretsStored"
    body = resource(template, "triggerSecretReader")
    assert expr(body["scope"]) == "triggerSecret[i]"
    assert expr(body["properties"]["principalId"]) == "triggerReaderPrincipalIds[i]"
    assert expr(body["properties"]["roleDefinitionId"]).endswith(", secretsUser)")
    assert variable(template, "secretsUser") == "4633458b-17de-408a-b874-0445c86b69e6"  # Key Vault Secrets User
    main = bicep("infra/main.bicep")
    params = main["modules"]["vault"]["config"]["params"]
    assert params["triggerServices"] == "kafkaConsumers"
    readers = params["triggerReaderPrincipalIds"]
    assert expr(readers["config"]) == "identity.outputs.appPrincipalIds[indexOf(services, s)]"
    assert readers["loop_type"]["detail"]["array_name"] == "kafkaConsumers"
    assert main["parameters"]["kafkaTriggerSecretsStored"]["default"] is False
    assert params["kafkaTriggerSecretsStored"] == "kafkaTriggerSecretsStored"


def test_the_runbook_mints_stores_grants_and_rotates_the_secrets(repo):
    text = (repo / "docs" / "deploy.md").read_text()
    step = text.split("## 6. ", 1)[1].split("\n## 7. ", 1)[0]
    # Minted by Entra ID straight into Key Vault, appended (the old secret keeps working until deleted).
    assert "az ad app credential reset" in step and "--append" in step
    assert 'az keyvault secret set --vault-name "$KV" --name "kafka-trigger-$1" --file' in step
    assert "kafkaTriggerSecretsStored" in step or "KAFKA_SECRETS_STORED=true" in step
    # Rotation: new version, read at once by both slots, then the old credential revoked.
    assert "### Rotating" in step
    assert "configreferences/appsettings/refresh" in step
    assert "az ad app credential delete" in step
