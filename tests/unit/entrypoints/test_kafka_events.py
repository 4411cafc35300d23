"""Kafka trigger payloads: the host's JSON envelope around a string value, and what the local runner hands over."""

import base64
import uuid

import azure.functions as func
import orjson
import pytest
from confluent_kafka import Message

from cli.runner.triggers import kafka_event
from functions.kafka import inbound
from shared.domain.events import TransactionDeleted, decode, encode


def event_bytes() -> bytes:
    return encode(TransactionDeleted(user_id=f"user-{uuid.uuid4().hex[:8]}", transaction_id=uuid.uuid4()))


def host_event(value, *, key="user-1", headers=None, offset=41, partition=3, topic="transactions") -> func.KafkaEvent:
    """A KafkaEvent as the Functions host hands it to a string-typed trigger."""
    envelope = {
        "Offset": offset,
        "Partition": partition,
        "Topic": topic,
        "Timestamp": "2026-03-14T10:00:00+00:00",
        "Key": key,
        "Value": value,
        "Headers": [{"Key": k, "Value": base64.b64encode(v).decode()} for k, v in (headers or [])],
    }
    return func.KafkaEvent(
        body=orjson.dumps(envelope), key=key, offset=offset, partition=partition, topic=topic, timestamp="t"
    )


def test_the_value_inside_the_host_envelope_is_the_message():
    value = event_bytes()
    message = inbound(host_event(value.decode(), headers=[("traceparent", b"00-abc-01"), ("bin", b"\x00\xff")]))
    assert message.value == value
    assert message.key == b"user-1"
    assert (message.topic, message.partition, message.offset) == ("transactions", 3, 41)
    assert message.headers == (("traceparent", b"00-abc-01"), ("bin", b"\x00\xff"))
    assert decode(message.value) == decode(value)


def test_offset_and_partition_zero_are_kept():
    message = inbound(host_event("{}", offset=0, partition=0))
    assert (message.partition, message.offset) == (0, 0)


def test_a_null_value_and_key_stay_null():
    message = inbound(host_event(None, key=None))
    assert message.value is None
    assert message.key is None


def test_a_value_the_host_already_parsed_is_serialised_back_to_json():
    message = inbound(host_event({"schema_version": 1, "amount": "1.00"}))
    assert orjson.loads(message.value) == {"schema_version": 1, "amount": "1.00"}


def test_a_raw_body_without_the_envelope_is_the_message_itself():
    value = event_bytes()
    event = func.KafkaEvent(body=value, key="user-2", offset=7, partition=1, topic="transactions")
    message = inbound(event)
    assert message.value == value
    assert message.key == b"user-2"
    assert (message.topic, message.partition, message.offset) == ("transactions", 1, 7)
    assert message.headers == ()


@pytest.mark.parametrize("body", [b"not json at all", b"\xff\xfe\x00", b"[1, 2]"])
def test_a_raw_body_that_is_not_an_envelope_is_passed_on_untouched(body):
    assert inbound(func.KafkaEvent(body=body, offset=1, partition=0, topic="t")).value == body


def message(**overrides) -> Message:
    fields = {
        "topic": "transactions",
        "partition": 2,
        "offset": 1234,
        "key": b"user-9",
        "value": event_bytes(),
        "headers": [("traceparent", b"00-abc-01"), ("empty", None)],
        "timestamp": (1, 1_773_482_400_000),
    }
    fields.update(overrides)
    return Message(**fields)


def test_the_local_runner_hands_over_the_value_itself_with_its_metadata():
    m = message()
    event = kafka_event(m)
    assert event.get_body() == m.value()  # no envelope built only to be parsed back in the same process
    assert event.timestamp == "2026-03-14T10:00:00+00:00"
    assert (event.topic, event.partition, event.offset, event.key) == ("transactions", 2, 1234, "user-9")


def test_a_key_that_is_not_utf8_reaches_the_trigger_unchanged():
    back = inbound(kafka_event(message(key=b"\xff\xfeuser")))
    assert back.key == b"\xff\xfeuser"


def test_what_the_runner_wraps_the_trigger_unwraps_unchanged():
    m = message()
    back = inbound(kafka_event(m))
    assert back.value == m.value()
    assert back.key == m.key()
    assert (back.topic, back.partition, back.offset) == (m.topic(), m.partition(), m.offset())
    assert back.headers == (("traceparent", b"00-abc-01"), ("empty", b""))


def test_a_consumed_message_without_key_or_value_unwraps_to_none():
    back = inbound(kafka_event(message(key=None, value=None, headers=None)))
    assert back.key is None
    assert back.value is None
    assert back.headers == ()
