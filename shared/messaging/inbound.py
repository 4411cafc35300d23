"""A consumed message, independent of who delivered it (the Functions host or the local runner)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.messaging.publisher import OutboundMessage


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


def dead_letter(message: InboundMessage, *, topic: str, reason: str, attempts: int = 1) -> OutboundMessage:
    """The original bytes, unchanged, with why and where from in headers (as Kafka Connect does)."""
    return OutboundMessage(
        topic=topic,
        key=message.key,
        value=message.value or b"",
        headers=message.headers
        + (
            ("dlt.reason", reason[:2000].encode()),
            ("dlt.original.topic", message.topic.encode()),
            ("dlt.original.partition", str(message.partition).encode()),
            ("dlt.original.offset", str(message.offset).encode()),
            ("dlt.attempts", str(attempts).encode()),
            ("dlt.failed.at.ms", str(time.time_ns() // 1_000_000).encode()),
        ),
    )
