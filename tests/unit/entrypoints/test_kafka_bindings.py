"""The Kafka triggers' bindings, as the Functions host reads them: topics and groups by app-setting name, and the
transport's sign-in for Event Hubs."""

from __future__ import annotations

import json

import pytest

from cli.runner.index import index
from functions.app import build
from shared.bootstrap import Root

EVENT_HUBS = {
    "KafkaBrokerList": "budget.servicebus.windows.net:9093",
    "KafkaSecurityProtocol": "SASL_SSL",
}


def kafka_bindings(settings) -> dict[str, dict]:
    _, app = build(Root(settings))
    return {f.name: f.trigger for f in index(app) if f.kind == "kafkaTrigger"}


def test_locally_the_triggers_carry_no_credentials(settings):
    for binding in kafka_bindings(settings).values():
        assert binding.get("protocol", "NOTSET") == "NOTSET" and "username" not in binding


def test_with_entra_id_each_trigger_signs_in_with_its_app_registrations_client_credentials(settings):
    azure = settings.model_copy(
        update={
            "kafka_broker_list": EVENT_HUBS["KafkaBrokerList"],
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "OAUTHBEARER",
        }
    )
    bindings = kafka_bindings(azure)
    assert set(bindings) >= {"store_transactions", "answer_queries", "budget_alerts"}
    for binding in bindings.values():
        assert binding["authenticationMode"] == "OAuthBearer" and binding["oAuthBearerMethod"] == "OIDC"
        assert binding["oAuthBearerClientSecret"] == "KafkaTriggerClientSecret"  # a setting's name, never a secret
        assert "password" not in binding


@pytest.mark.parametrize("name", ["store_transactions", "answer_queries", "budget_alerts"])
def test_topics_and_groups_are_app_setting_references(settings, name):
    binding = kafka_bindings(settings)[name]
    assert binding["topic"].startswith("%") and binding["consumerGroup"].startswith("%")
    assert binding["brokerList"] == "KafkaBrokerList" and binding["cardinality"].upper() == "MANY"
    assert json.dumps(binding)  # what the host indexes
