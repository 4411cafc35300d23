"""Kafka trigger plumbing: the trigger's transport settings, the message in an event (the host's envelope or the local
runner's own), batch spans."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import orjson

from shared.adapters.kafka.messages import InboundMessage
from shared.adapters.telemetry.spans import processing
from shared.settings import Settings


def trigger_security(settings: Settings) -> dict[str, Any]:
    """Trigger arguments for the transport: none locally, SASL_SSL with app-setting names for Event Hubs.

    With OAUTHBEARER (Entra ID, no shared key on the namespace) the app's own clients sign in with its managed
    identity, but the Functions Kafka extension cannot: its triggers sign in with the client credentials of an app
    registration made for that app alone (OIDC), whose role assignments are Data Receiver on exactly the event hubs
    it consumes; the host reads the four values from the app settings named here (the secret a Key Vault reference).
    """
    if settings.kafka_security_protocol != "SASL_SSL":
        return {}
    if settings.kafka_sasl_mechanism == "OAUTHBEARER":
        return {
            "protocol": "SASLSSL",
            # azure-functions 1.26's enum lacks OAuthBearer: the binding property is given as the host spells it.
            "authenticationMode": "OAuthBearer",
            "o_auth_bearer_method": "oidc",
            "o_auth_bearer_client_id": "KafkaTriggerClientId",
            "o_auth_bearer_client_secret": "KafkaTriggerClientSecret",
            "o_auth_bearer_token_endpoint_url": "KafkaTriggerTokenEndpoint",
            "o_auth_bearer_scope": "KafkaTriggerScope",
        }
    return {
        "protocol": "SASLSSL",
        "authentication_mode": "PLAIN",
        "username": "KafkaUsername",
        "password": "KafkaPassword",
    }


# A failed batch is retried until it succeeds: its offsets stay uncommitted (host.json commitOnFailure false),
# and poison never fails a batch, it is dead-lettered. So a failure here means "a dependency is down".
RETRY_UNTIL_DONE = {
    "strategy": "exponential_backoff",
    "max_retry_count": "-1",
    "minimum_interval": "00:00:01",
    "maximum_interval": "00:00:30",
}


def batch_trigger(bp: func.Blueprint, settings: Settings, *, arg_name: str, topic: str, group: str):
    """The Kafka trigger every consumer here uses: batches of string events, retried until done.

    `topic` and `group` name app settings (`%TransactionsTopic%`): the host resolves them, as the runner does.
    """

    def decorate(fn):
        fn = bp.kafka_trigger(
            arg_name=arg_name,
            topic=topic,
            broker_list="KafkaBrokerList",
            consumer_group=group,
            cardinality="MANY",
            data_type="string",
            **trigger_security(settings),
        )(fn)
        return bp.retry(**RETRY_UNTIL_DONE)(fn)

    return decorate


class ConsumedEvent(func.KafkaEvent):
    """A message as a local consumer read it (the runner): the value itself as the body, its key, position and
    headers alongside, as they came. The Functions host wraps a string-typed trigger's value in a JSON envelope
    instead; `inbound` reads both, and the runner saves building an envelope only to parse it back."""

    def __init__(
        self,
        *,
        value: bytes | None,
        key: bytes | None,
        topic: str,
        partition: int,
        offset: int,
        timestamp_ms: int | None,
        headers: tuple[tuple[str, bytes], ...] = (),
    ) -> None:
        text_key = None if key is None else key.decode("utf-8", "replace")
        super().__init__(body=value, key=text_key, offset=offset, partition=partition, topic=topic)  # type: ignore[arg-type]
        self.message = InboundMessage(topic=topic, partition=partition, offset=offset, key=key, value=value,
                                      headers=headers)  # fmt: skip
        self._timestamp_ms = timestamp_ms

    @property
    def timestamp(self) -> str | None:
        """ISO 8601, as the host gives it; worked out only when asked for."""
        if self._timestamp_ms is None:
            return None
        return datetime.fromtimestamp(self._timestamp_ms / 1000, UTC).isoformat()


def inbound(event: func.KafkaEvent) -> InboundMessage:
    """The message inside a KafkaEvent: string-typed events from the host carry a JSON envelope around the value."""
    if isinstance(event, ConsumedEvent):
        return event.message
    body = event.get_body()
    value: bytes | None = body
    key = event.key.encode() if isinstance(event.key, str) else event.key
    headers: tuple[tuple[str, bytes], ...] = ()
    topic, partition, offset = event.topic or "", event.partition or 0, event.offset or 0
    try:
        envelope = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        envelope = None
    if isinstance(envelope, dict) and "Value" in envelope and "Offset" in envelope:
        raw = envelope.get("Value")
        value = raw.encode() if isinstance(raw, str) else None if raw is None else orjson.dumps(raw)
        key = (envelope.get("Key") or "").encode() or key
        topic = envelope.get("Topic") or topic
        partition = int(envelope.get("Partition") or partition)
        offset = int(envelope.get("Offset") or offset)
        headers = tuple(
            (h.get("Key", ""), base64.b64decode(h.get("Value") or ""))
            for h in envelope.get("Headers") or []
            if isinstance(h, dict)
        )
    return InboundMessage(topic=topic, partition=partition, offset=offset, key=key, value=value, headers=headers)


@contextmanager
def consumed(events: list[func.KafkaEvent], *, function: str, group: str) -> Iterator[list[InboundMessage]]:
    """The batch's messages, inside its spans: one per message (under its publisher's), and the batch's, current."""
    messages = [inbound(e) for e in events]
    with processing(messages, name=function, group=group):
        yield messages
