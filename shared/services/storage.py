"""The storage service's core: a consumed batch becomes rows, dead letters, or a retry, never a loss."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DataError, IntegrityError

from shared.adapters.kafka.messages import InboundMessage, dead_letter
from shared.adapters.kafka.publisher import Publisher
from shared.adapters.mysql.store import AnyEvent, Store
from shared.domain.events import PoisonMessage, decode

log = logging.getLogger("budget.storage")
_REFUSED = (DataError, IntegrityError)  # about one event's values, never about the connection


@dataclass(frozen=True)
class StoreOutcome:
    applied: int
    duplicates: int
    dead_lettered: int


def store_messages(
    messages: Sequence[InboundMessage], *, store: Store, publisher: Publisher, dead_letter_topic: str
) -> StoreOutcome:
    """Store a consumed batch in one database transaction.

    Messages that can never be stored go to the dead-letter topic (acknowledged before we return).
    A transient failure (database or broker down) raises, so the caller retries the whole batch and
    commits no offset; replaying is safe because every event is applied at most once.
    """
    events: list[tuple[InboundMessage, AnyEvent]] = []
    poison: list[tuple[InboundMessage, str]] = []
    for message in messages:
        try:
            events.append((message, decode(message.value)))
        except PoisonMessage as exc:
            poison.append((message, str(exc)))
    applied = duplicates = 0
    try:
        if events:
            result = store.apply([e for _, e in events])
            applied, duplicates = result.applied, result.duplicates
    except _REFUSED as exc:
        # The database refused a value in the batch: isolate it, dead-letter it, keep the rest.
        # Every other error (connection lost, server down, schema missing) propagates: retry later.
        log.warning("batch refused by the database (%s); applying one by one", exc.orig)
        applied = duplicates = 0
        for message, event in events:
            try:
                r = store.apply([event])
                applied, duplicates = applied + r.applied, duplicates + r.duplicates
            except _REFUSED as one:
                poison.append((message, f"refused by the database: {one.orig}"))
    if poison:
        publisher.publish_blocking([dead_letter(m, topic=dead_letter_topic, reason=why) for m, why in poison])
        for m, why in poison:
            log.warning("dead-lettered %s[%d]@%d: %s", m.topic, m.partition, m.offset, why)
    log.info("stored batch: %d applied, %d duplicates, %d dead-lettered", applied, duplicates, len(poison))
    return StoreOutcome(applied, duplicates, len(poison))
