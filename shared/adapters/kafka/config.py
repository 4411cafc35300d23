"""librdkafka configuration from settings: PLAINTEXT locally, SASL_SSL (PLAIN or OAUTHBEARER) for Event Hubs."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from shared.settings import Settings


def _event_hubs_scope(broker_list: str) -> str:
    host = urlsplit(f"//{broker_list.split(',')[0]}").hostname or ""
    return f"https://{host}/.default"


def _oauth_token_provider(settings: Settings):
    """confluent-kafka's oauth_cb: an Entra ID token for the Event Hubs namespace (managed identity in Azure)."""
    from azure.identity import DefaultAzureCredential  # imported lazily: only Azure needs it

    credential = DefaultAzureCredential(managed_identity_client_id=settings.azure_client_id)
    scope = _event_hubs_scope(settings.kafka_broker_list)

    def token(_config: str) -> tuple[str, float]:
        access = credential.get_token(scope)
        return access.token, float(access.expires_on)

    return token


def client_config(settings: Settings, *, role: str) -> dict[str, Any]:
    """Settings every client shares; `role` names the client in broker logs."""
    conf: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_broker_list,
        "client.id": f"budget-{role}-{socket.gethostname()}",
        "security.protocol": settings.kafka_security_protocol,
        "socket.keepalive.enable": True,
        "metadata.max.age.ms": 180_000,
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        # Event Hubs' documented client settings.
        conf["request.timeout.ms"] = 60_000
        conf["sasl.mechanisms"] = settings.kafka_sasl_mechanism
        if settings.kafka_sasl_mechanism == "PLAIN":
            conf["sasl.username"] = settings.kafka_username
            conf["sasl.password"] = settings.kafka_password
        else:
            conf["oauth_cb"] = _oauth_token_provider(settings)
    return conf


def producer_config(settings: Settings, *, role: str) -> dict[str, Any]:
    """An idempotent producer that reports success only once every in-sync replica has the message."""
    conf = client_config(settings, role=role)
    conf.update(
        {
            "enable.idempotence": True,
            "acks": "all",
            # Every request waits for its ack: send at once. Under load librdkafka still batches
            # whatever queues up while a request is in flight.
            "linger.ms": 0,
            "message.timeout.ms": settings.kafka_delivery_timeout_ms,
            "queue.buffering.max.messages": 200_000,
        }
    )
    if settings.kafka_security_protocol == "SASL_SSL":
        conf["compression.type"] = "gzip"  # the only codec Event Hubs accepts
        conf["message.max.bytes"] = 1_000_000
    return conf


def consumer_config(settings: Settings, *, group: str, role: str) -> dict[str, Any]:
    """Offsets are committed by hand, only after the batch is safely processed."""
    conf = client_config(settings, role=role)
    conf.update(
        {
            "group.id": group,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 30_000 if settings.kafka_security_protocol == "SASL_SSL" else 10_000,
            "max.poll.interval.ms": 300_000,
            "partition.assignment.strategy": "cooperative-sticky",
        }
    )
    if settings.kafka_security_protocol == "PLAINTEXT":
        # Local brokers hold an empty fetch for fetch.wait.max.ms (500 ms): too slow for request/reply.
        conf["fetch.wait.max.ms"] = 10
    return conf
