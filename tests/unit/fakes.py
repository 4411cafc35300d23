"""Fakes for unit tests: each implements the interface the services use (EventPublisher, EventStore, ReadStore)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from shared.adapters.kafka.messages import OutboundMessage
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.adapters.mysql.reads import Page
from shared.adapters.mysql.store import ApplyResult, Refused
from shared.domain.events import AnyEvent, TransactionCreated


class FakePublisher:
    """Keeps what it was asked to publish; `down` makes every call fail as an unreachable broker does."""

    def __init__(self, topics: set[str] | None = None) -> None:
        self.sent: list[OutboundMessage] = []
        self.down = False
        self.topics = topics  # None: every topic exists

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        self.publish_blocking(messages)

    def publish_blocking(self, messages: Sequence[OutboundMessage]) -> None:
        if self.down:
            raise BrokerUnavailable("the broker did not acknowledge in time")
        self.sent.extend(messages)

    def topic_exists(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    def on(self, topic: str) -> list[OutboundMessage]:
        return [m for m in self.sent if m.topic == topic]


class FakeStore:
    """Applies events in memory, at most once each; `refuse(predicate)` makes it refuse batches holding such an
    event, as the database refuses a value it cannot store (the whole batch's transaction rolls back)."""

    def __init__(self) -> None:
        self.applied: dict[str, AnyEvent] = {}
        self.batches: list[int] = []
        self.feed: list[tuple[int, list[dict]]] = []  # the outbox: (seq, records)
        self.operations: dict[str, dict] = {}
        self._refuse: Callable[[AnyEvent], bool] = lambda _e: False

    def refuse(self, predicate: Callable[[AnyEvent], bool]) -> None:
        self._refuse = predicate

    def apply(self, events: Sequence[AnyEvent]) -> ApplyResult:
        self.batches.append(len(events))
        if any(self._refuse(e) for e in events):
            raise Refused("Data too long for column 'category' at row 1")
        fresh = {str(e.event_id): e for e in events if str(e.event_id) not in self.applied}
        first = len(self.applied) + 1
        self.applied.update(fresh)
        records = [{"kind": "event", "seq": first + i, "user_id": e.user_id} for i, e in enumerate(fresh.values())]
        if records:
            self.feed.append((len(self.applied), records))
        return ApplyResult(len(fresh), len(events) - len(fresh), 0, records)

    def outbox(self, limit: int = 100) -> list[tuple[int, list[dict]]]:
        return self.feed[:limit]

    def forget_outbox(self, up_to: int) -> None:
        self.feed = [(seq, r) for seq, r in self.feed if seq > up_to]

    def prune(self, *, processed_before_us: int, operations_before_us: int) -> int:
        return 0

    def get_operation(self, *, user_id: str, operation_id: str) -> dict | None:
        found = self.operations.get(operation_id)
        return found if found and found["user_id"] == user_id else None

    def get_transaction(self, *, user_id: str, transaction_id: str) -> dict | None:
        for e in self.applied.values():
            if isinstance(e, TransactionCreated) and e.user_id == user_id and str(e.transaction.id) == transaction_id:
                return {**e.transaction.to_json(), "version": e.version}
        return None

    def list_transactions(
        self,
        *,
        user_id: str,
        start: date | None = None,
        end: date | None = None,
        category: str | None = None,
        kind: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
        account_id: str | None = None,
    ) -> Page:
        items = [
            {**e.transaction.to_json(), "version": e.version}
            for e in self.applied.values()
            if isinstance(e, TransactionCreated) and e.user_id == user_id
        ]
        items = [t for t in items if account_id is None or t.get("account_id") == account_id]
        return Page(sorted(items, key=lambda t: t["date"], reverse=True)[:limit], None)
