"""The storage service: a consumed batch becomes rows, outcomes and change records, or dead letters, or a retry;
never a loss. And a user's own reads: transactions and the outcome of each operation."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from shared.adapters.kafka.messages import EventPublisher, InboundMessage, OutboundMessage, dead_letter
from shared.adapters.mysql.reads import Page, ReadStore
from shared.adapters.mysql.store import EventStore, Refused
from shared.domain.events import AnyEvent, PoisonMessage, decode
from shared.domain.operations import issued_to, status_of
from shared.problems import Problem
from shared.services.account_queries import AccountQueries

log = logging.getLogger("budget.storage")
_DAY_US = 86_400 * 1_000_000
OPERATIONS_RETENTION_DAYS = 90  # how long an operation's outcome can be asked for
_HEADERS = (("content-type", b"application/json"),)


@dataclass(frozen=True)
class StoreOutcome:
    applied: int
    duplicates: int
    dead_lettered: int
    rejected: int = 0


class Storage(AccountQueries):
    def __init__(
        self,
        *,
        store: EventStore,
        reads: ReadStore,
        publisher: EventPublisher,
        dead_letter_topic: str,
        changes_topic: str,
        retention_days: int = 14,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._reads = reads
        self._publisher = publisher
        self._dead_letter_topic = dead_letter_topic
        self._changes_topic = changes_topic
        self._retention_days = retention_days
        self._clock = clock
        self._pruned_at = 0.0

    def store_messages(self, messages: Sequence[InboundMessage]) -> StoreOutcome:
        """Store a consumed batch in one database transaction, then relay its change records.

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
        totals = [0, 0, 0]  # applied, duplicates, rejected
        try:
            if events:
                self._add(totals, self._store.apply([e for _, e in events]))
        except Refused as exc:
            # The database refused a value in the batch: isolate it, dead-letter it, keep the rest, in order.
            log.warning("batch refused by the database (%s); applying one by one", exc)
            totals = [0, 0, 0]
            for message, event in events:
                try:
                    self._add(totals, self._store.apply([event]))
                except Refused as one:
                    poison.append((message, f"refused by the database: {one}"))
        if poison:
            letters = [dead_letter(m, topic=self._dead_letter_topic, reason=why) for m, why in poison]
            self._publisher.publish_blocking(letters)
            for m, why in poison:
                log.warning("dead-lettered %s[%d]@%d: %s", m.topic, m.partition, m.offset, why)
        self.relay()
        self._prune_now_and_then()
        applied, duplicates, rejected = totals
        log.info(
            "stored batch: %d applied, %d duplicates, %d rejected, %d dead-lettered",
            applied,
            duplicates,
            rejected,
            len(poison),
        )
        return StoreOutcome(applied, duplicates, len(poison), rejected)

    @staticmethod
    def _add(totals: list[int], result) -> None:
        totals[0] += result.applied
        totals[1] += result.duplicates
        totals[2] += result.rejected

    def relay(self) -> int:
        """Publish committed change records to the changes topic, oldest first, then forget them.

        Two relays at once (two storage instances) may both publish a record: consumers keep the highest seq per
        user and skip what they have seen; each relay publishes in seq order from the oldest unrelayed record, so
        a consumer never sees a user's record before an earlier one.
        """
        relayed = 0
        while batches := self._store.outbox(100):
            messages = [
                OutboundMessage(self._changes_topic, r["user_id"].encode(), orjson.dumps(r), _HEADERS)
                for _, records in batches
                for r in records
            ]
            self._publisher.publish_blocking(messages)
            self._store.forget_outbox(batches[-1][0])
            relayed += len(messages)
        return relayed

    def _prune_now_and_then(self) -> None:
        now = self._clock()
        if now - self._pruned_at < 600:
            return
        self._pruned_at = now
        now_us = int(now * 1_000_000)
        deleted = self._store.prune(
            processed_before_us=now_us - self._retention_days * _DAY_US,
            operations_before_us=now_us - OPERATIONS_RETENTION_DAYS * _DAY_US,
        )
        if deleted:
            log.info("pruned %d records past their retention", deleted)

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
        account_id: uuid.UUID | None = None,
    ) -> Page:
        return self._reads.list_transactions(
            user_id=user_id,
            start=start,
            end=end,
            category=category,
            kind=kind,
            cursor=cursor,
            limit=limit,
            account_id=None if account_id is None else str(account_id),
        )

    def get_transaction(self, user_id: str, transaction_id: str) -> dict:
        """The transaction, or 404 for an id that is not a UUID, unknown, deleted or another user's."""
        try:
            key = str(uuid.UUID(transaction_id))
        except ValueError:
            raise Problem(404, "No such transaction among yours.") from None
        found = self._reads.get_transaction(user_id=user_id, transaction_id=key)
        if found is None:
            raise Problem(404, "No such transaction among yours.")
        return found

    def get_operation(self, user_id: str, operation_id: str) -> dict:
        """The caller's operation: pending until storage has applied or rejected every event of it; 404 otherwise."""
        try:
            op_id = uuid.UUID(operation_id)
        except ValueError:
            raise Problem(404, "No such operation among yours.") from None
        row = self._reads.get_operation(user_id=user_id, operation_id=str(op_id))
        if row is None:
            if not issued_to(op_id, user_id):
                raise Problem(404, "No such operation among yours.")
            return {"id": str(op_id), "status": "pending", "applied": 0, "duplicates": 0, "rejected": 0}
        return _operation(row)

    async def wait_for_operation(self, user_id: str, operation_id: str, *, wait_s: float) -> dict:
        """The operation as soon as its outcome is known, or as it stands after `wait_s` seconds."""
        deadline, pause = time.monotonic() + wait_s, 0.02
        while True:
            op = await asyncio.to_thread(self.get_operation, user_id, operation_id)
            left = deadline - time.monotonic()
            if op["status"] != "pending" or left <= 0:
                return op
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 0.25)


def _operation(row: dict) -> dict:
    processed = row["applied"] + row["duplicates"] + row["rejected"]
    status = status_of(expected=row["expected"], processed=processed, rejected=row["rejected"])
    out = {
        "id": row["id"],
        "type": row["kind"],
        "status": status,
        "applied": row["applied"],
        "duplicates": row["duplicates"],
        "rejected": row["rejected"],
        "expected": row["expected"],
    }
    if row["kind"] == "import" or row.get("matched"):  # of the applied: bank rows linked to hand-entered ones
        out["matched"] = row["matched"]
    if row["resource"]:
        out["resource"] = row["resource"]
    rejections = row["rejections"]
    if row["expected"] == 1 and rejections:
        out["reason"] = rejections[0][1]
    elif rejections:
        out["rejected_items"] = [{"index": i, "reason": p} for i, p in rejections]
    return out
