"""The storage service: a consumed batch becomes rows, dead letters, or a retry, never a loss; and a user's reads."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from shared.adapters.kafka.messages import EventPublisher, InboundMessage, dead_letter
from shared.adapters.mysql.store import EventStore, Page, Refused
from shared.domain.events import AnyEvent, PoisonMessage, decode
from shared.problems import Problem

log = logging.getLogger("budget.storage")


@dataclass(frozen=True)
class StoreOutcome:
    applied: int
    duplicates: int
    dead_lettered: int


class Storage:
    def __init__(self, *, store: EventStore, publisher: EventPublisher, dead_letter_topic: str) -> None:
        self._store = store
        self._publisher = publisher
        self._dead_letter_topic = dead_letter_topic

    def store_messages(self, messages: Sequence[InboundMessage]) -> StoreOutcome:
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
                result = self._store.apply([e for _, e in events])
                applied, duplicates = result.applied, result.duplicates
        except Refused as exc:
            # The database refused a value in the batch: isolate it, dead-letter it, keep the rest.
            log.warning("batch refused by the database (%s); applying one by one", exc)
            applied = duplicates = 0
            for message, event in events:
                try:
                    r = self._store.apply([event])
                    applied, duplicates = applied + r.applied, duplicates + r.duplicates
                except Refused as one:
                    poison.append((message, f"refused by the database: {one}"))
        if poison:
            letters = [dead_letter(m, topic=self._dead_letter_topic, reason=why) for m, why in poison]
            self._publisher.publish_blocking(letters)
            for m, why in poison:
                log.warning("dead-lettered %s[%d]@%d: %s", m.topic, m.partition, m.offset, why)
        log.info("stored batch: %d applied, %d duplicates, %d dead-lettered", applied, duplicates, len(poison))
        return StoreOutcome(applied, duplicates, len(poison))

    # -- a user's own reads, straight from the system of record ----------------------------------

    def list_transactions(
        self,
        user_id: str,
        *,
        start: dt.date | None,
        end: dt.date | None,
        category: str | None,
        kind: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page:
        return self._store.list_transactions(
            user_id=user_id, start=start, end=end, category=category, kind=kind, cursor=cursor, limit=limit
        )

    def get_transaction(self, user_id: str, transaction_id: str) -> dict:
        """The transaction, or 404 for an id that is not a UUID, unknown, deleted or another user's."""
        try:
            key = str(uuid.UUID(transaction_id))
        except ValueError:
            raise Problem(404, "No such transaction among yours.") from None
        found = self._store.get_transaction(user_id=user_id, transaction_id=key)
        if found is None:
            raise Problem(404, "No such transaction among yours.")
        return found
