"""Messages in and out, independent of who delivers them (the Functions host, the local runner, a test fake)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class EventPublisher(Protocol):
    """Publishes messages and returns only once the broker acknowledged every one (or raises)."""

    async def publish(self, messages: Sequence[OutboundMessage]) -> None: ...

    def publish_blocking(self, messages: Sequence[OutboundMessage]) -> None: ...


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


# A dead letter must itself fit in a Kafka message (1 MB by default; Event Hubs refuses larger requests):
# an original over this is cut here, with its full size in a header, or its dead letter could never be
# written and the consumer would retry the batch forever.
DEAD_LETTER_VALUE_LIMIT = 512 * 1024


def dead_letter(message: InboundMessage, *, topic: str, reason: str, attempts: int = 1) -> OutboundMessage:
    """The original bytes (cut at DEAD_LETTER_VALUE_LIMIT), with why and where from in headers (as Kafka Connect)."""
    value = message.value or b""
    cut: tuple[tuple[str, bytes], ...] = ()
    if len(value) > DEAD_LETTER_VALUE_LIMIT:
        cut = (("dlt.value.truncated", b"true"), ("dlt.value.original.bytes", str(len(value)).encode()))
        value = value[:DEAD_LETTER_VALUE_LIMIT]
    return OutboundMessage(
        topic=topic,
        key=message.key,
        value=value,
        headers=message.headers
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
