"""A poison message goes to the dead-letter topic as it arrived, with why and where from."""

import time

from shared.adapters.kafka.messages import InboundMessage, dead_letter

ORIGINAL = b'{"schema_version": 9, "surprise": "\xc3\xa9"}'


def poison(**overrides) -> InboundMessage:
    fields = {
        "topic": "transactions",
        "partition": 4,
        "offset": 9_876_543_210,
        "key": b"user-7",
        "value": ORIGINAL,
        "headers": (("traceparent", b"00-abc-01"),),
    }
    fields.update(overrides)
    return InboundMessage(**fields)


def test_the_original_bytes_key_and_headers_are_kept():
    out = dead_letter(poison(), topic="transactions.dlt", reason="unsupported schema_version 9")
    assert out.topic == "transactions.dlt"
    assert out.value == ORIGINAL
    assert out.key == b"user-7"
    assert out.headers[0] == ("traceparent", b"00-abc-01")


def test_headers_say_why_where_from_and_how_often_it_was_tried():
    before = time.time_ns() // 1_000_000
    out = dead_letter(poison(), topic="transactions.dlt", reason="not JSON", attempts=3)
    headers = dict(out.headers)
    assert headers["dlt.reason"] == b"not JSON"
    assert headers["dlt.original.topic"] == b"transactions"
    assert headers["dlt.original.partition"] == b"4"
    assert headers["dlt.original.offset"] == b"9876543210"
    assert headers["dlt.attempts"] == b"3"
    assert before <= int(headers["dlt.failed.at.ms"]) <= time.time_ns() // 1_000_000


def test_a_long_reason_is_cut_to_2000_characters():
    out = dead_letter(poison(), topic="dlt", reason="x" * 10_000)
    assert dict(out.headers)["dlt.reason"] == b"x" * 2000


def test_a_non_ascii_reason_is_utf8():
    out = dead_letter(poison(), topic="dlt", reason="Betrag ungültig")
    assert dict(out.headers)["dlt.reason"].decode("utf-8") == "Betrag ungültig"


def test_an_empty_message_is_dead_lettered_with_an_empty_value_and_no_key():
    out = dead_letter(poison(value=None, key=None), topic="dlt", reason="empty message")
    assert out.value == b""
    assert out.key is None


def test_the_message_header_lookup_finds_the_first_match():
    m = poison(headers=(("a", b"1"), ("a", b"2")))
    assert m.header("a") == b"1"
    assert m.header("missing") is None


def test_an_oversized_original_is_cut_so_its_dead_letter_fits_in_a_kafka_message():
    from shared.adapters.kafka.messages import DEAD_LETTER_VALUE_LIMIT

    big = b"x" * 1_100_000
    out = dead_letter(poison(value=big), topic="dlt", reason="schema violation")
    assert out.value == big[:DEAD_LETTER_VALUE_LIMIT] and len(out.value) < 1_000_000
    headers = dict(out.headers)
    assert headers["dlt.value.truncated"] == b"true"
    assert headers["dlt.value.original.bytes"] == b"1100000"
    assert headers["dlt.reason"] == b"schema violation"


def test_a_dead_letter_fits_in_a_message_whatever_the_original_carries():
    from shared.adapters.kafka.messages import MESSAGE_LIMIT

    original = InboundMessage(
        topic="transactions",
        partition=3,
        offset=9,
        key=b"k" * 700_000,
        value=b"v" * 2_000_000,
        headers=tuple((f"h{i}", b"x" * 10_000) for i in range(100)),
    )
    letter = dead_letter(original, topic="transactions.dlt", reason="r" * 5000)
    assert letter.size < MESSAGE_LIMIT
    headers = dict(letter.headers)
    assert headers["dlt.key.original.bytes"] == b"700000" and headers["dlt.value.original.bytes"] == b"2000000"
    assert int(headers["dlt.headers.dropped"]) > 0 and headers["dlt.original.offset"] == b"9"
