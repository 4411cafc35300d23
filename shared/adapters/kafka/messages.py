"""Messages in and out, independent of who delivers them (the Functions host, the local runner, a test fake)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# What one message may weigh: Event Hubs refuses requests over 1,046,528 bytes and Kafka's default is 1 MB; the
# margin covers the record's framing. A message over it can never be delivered, however often it is retried.
MESSAGE_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def size(self) -> int:
        return len(self.value) + len(self.key or b"") + sum(len(k) + len(v) for k, v in self.headers)


class EventPublisher(Protocol):
    """Publishes messages and returns only once the broker acknowledged every one (or raises)."""

    async def publish(self, messages: Sequence[OutboundMessage]) -> None: ...

    def publish_blocking(self, messages: Sequence[OutboundMessage]) -> None: ...


class TopicDirectory(Protocol):
    """Which topics exist: a reply to a topic that does not exist could never be delivered."""

    def topic_exists(self, topic: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class InboundMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


# A dead letter must itself fit in a message, or it could never be written and the consumer would retry the batch
# forever: the original's value, key and headers are each cut to a share of the limit, their full sizes said.
DEAD_LETTER_VALUE_LIMIT = 512 * 1024
DEAD_LETTER_KEY_LIMIT = 1024
DEAD_LETTER_HEADERS_LIMIT = 64 * 1024


def dead_letter(message: InboundMessage, *, topic: str, reason: str, attempts: int = 1) -> OutboundMessage:
    """The original bytes (cut to fit), with why and where from in headers (as Kafka Connect)."""
    value, key = message.value or b"", message.key
    cut: tuple[tuple[str, bytes], ...] = ()
    if len(value) > DEAD_LETTER_VALUE_LIMIT:
        cut += (("dlt.value.truncated", b"true"), ("dlt.value.original.bytes", str(len(value)).encode()))
        value = value[:DEAD_LETTER_VALUE_LIMIT]
    if key is not None and len(key) > DEAD_LETTER_KEY_LIMIT:
        cut += (("dlt.key.truncated", b"true"), ("dlt.key.original.bytes", str(len(key)).encode()))
        key = key[:DEAD_LETTER_KEY_LIMIT]
    kept: list[tuple[str, bytes]] = []
    room = DEAD_LETTER_HEADERS_LIMIT
    for name, header in message.headers:
        room -= len(name) + len(header)
        if room < 0:
            dropped = len(message.headers) - len(kept)
            cut += (("dlt.headers.dropped", str(dropped).encode()),)
            break
        kept.append((name, header))
    return OutboundMessage(
        topic=topic,
        key=key,
        value=value,
        headers=tuple(kept)
        + cut
        + (
            ("dlt.reason", reason[:2000].encode()),
            ("dlt.original.topic", message.topic.encode()),
            ("dlt.original.partition", str(message.partition).encode()),
            ("dlt.original.offset", str(message.offset).encode()),
            ("dlt.attempts", str(attempts).encode()),
            ("dlt.failed.at.ms", str(time.time_ns() // 1_000_000).encode()),
        ),
    )
