"""Real-time budget alerts, from the change feed: what storage applied, never what it refused.

A consumed batch of change records is applied to the alert state in one transaction (shared/adapters/mysql/
alert_state.py), which raises each threshold of each budget once; every pending alert is then published to the
alerts topic (acknowledged) before the trigger returns, and marked sent. A crash between publishing and marking
publishes the same alert again with the same deterministic `alert_id`, so consumers that dedupe on it see each
threshold exactly once; no threshold is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

import orjson

from shared.adapters.kafka.messages import EventPublisher, InboundMessage, OutboundMessage

log = logging.getLogger("budget.analyzer.alerts")
_HEADERS = (("content-type", b"application/json"),)


class AlertStore(Protocol):
    def apply(self, records: Sequence[dict], *, now_iso: str) -> int: ...

    def pending(self, limit: int = 500) -> list[tuple[str, str, bytes]]: ...

    def mark_sent(self, ids: Sequence[str]) -> None: ...

    def recent(self, user_id: str, limit: int) -> list[dict]: ...


class Alerts:
    def __init__(
        self,
        *,
        state: AlertStore,
        publisher: EventPublisher,
        topic: str,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._state = state
        self._publisher = publisher
        self._topic = topic
        self._now = now

    def apply_changes(self, messages: Sequence[InboundMessage]) -> int:
        """Apply a consumed batch, then publish every pending alert (a failure raises: the batch is retried)."""
        records = []
        for m in messages:
            try:
                record = orjson.loads(m.value or b"")
                if isinstance(record, dict) and isinstance(record.get("seq"), int) and record.get("user_id"):
                    records.append(record)
                    continue
            except orjson.JSONDecodeError:
                pass
            log.warning("skipped a change record that is not one: %s[%d]@%d", m.topic, m.partition, m.offset)
        raised = self._state.apply(records, now_iso=self._now().isoformat())
        self.publish_pending()
        return raised

    def publish_pending(self) -> int:
        """This batch's alerts and any a crash left unpublished, published and marked sent."""
        pending = self._state.pending()
        if pending:
            self._publisher.publish_blocking(
                [OutboundMessage(self._topic, user.encode(), body, _HEADERS) for _, user, body in pending]
            )
            self._state.mark_sent([aid for aid, _, _ in pending])
            log.info("published %d budget alerts", len(pending))
        return len(pending)

    def recent(self, user_id: str, limit: int = 20) -> list[dict]:
        """The caller's alerts, newest first, as the API shows them."""
        out = []
        for a in self._state.recent(user_id, limit):
            created = dt.datetime.fromtimestamp(a["created_at_us"] / 1_000_000, dt.UTC)
            out.append(
                {
                    "id": a["alert_id"],
                    "type": "budget.threshold",
                    "category": a["category"],
                    "month": a["month"],
                    "threshold": a["threshold"],
                    "currency": a["currency"],
                    "accounts": a.get("accounts"),  # alerts raised before budgets named accounts have none
                    "budget": a["budget"],
                    "spent": a["spent"],
                    "share_used": a["share_used"],
                    "created_at": created.isoformat(timespec="seconds"),
                }
            )
        return out
