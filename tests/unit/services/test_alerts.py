"""The budget-alerts use case against fakes: what reaches the alert state, when an alert is published and marked
sent, and what a broker outage leaves behind (the same alert again, never none)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import orjson
import pytest

from shared.adapters.kafka.messages import InboundMessage
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.services.alerts import Alerts
from tests.unit.fakes import FakePublisher

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


class FakeAlertStore:
    """The AlertStore interface in memory: `apply` keeps the records it was given and raises the alerts the test
    queued for the next call; alerts stay pending until marked sent."""

    def __init__(self) -> None:
        self.applied: list[list[dict]] = []
        self.to_raise: list[tuple[str, str, bytes]] = []
        self.unsent: dict[str, tuple[str, str, bytes]] = {}
        self.rows: list[dict] = []

    def apply(self, records: Sequence[dict], *, now_iso: str) -> int:
        self.applied.append(list(records))
        raised, self.to_raise = self.to_raise, []
        self.unsent.update({a[0]: a for a in raised})
        return len(raised)

    def pending(self, limit: int = 500) -> list[tuple[str, str, bytes]]:
        return list(self.unsent.values())[:limit]

    def mark_sent(self, ids: Sequence[str]) -> None:
        for alert_id in ids:
            self.unsent.pop(alert_id)

    def recent(self, user_id: str, limit: int) -> list[dict]:
        return [r for r in self.rows if r["user_id"] == user_id][:limit]


def change(seq: int, user: str = "alice") -> InboundMessage:
    record = {"kind": "transaction", "seq": seq, "user_id": user, "id": f"t{seq}", "before": None, "after": {}}
    return InboundMessage(topic="changes", partition=0, offset=seq, key=user.encode(), value=orjson.dumps(record))


def alert(alert_id: str, user: str = "alice") -> tuple[str, str, bytes]:
    return alert_id, user, orjson.dumps({"alert_id": alert_id, "user_id": user, "threshold": 80})


@pytest.fixture
def state() -> FakeAlertStore:
    return FakeAlertStore()


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def alerts(state: FakeAlertStore, publisher: FakePublisher) -> Alerts:
    return Alerts(state=state, publisher=publisher, topic="budget-alerts", now=lambda: NOW)


def test_only_change_records_reach_the_alert_state_and_garbage_does_not_stop_the_batch(alerts, state):
    garbage = [
        InboundMessage(topic="changes", partition=0, offset=90, key=None, value=b"not json"),
        InboundMessage(topic="changes", partition=0, offset=91, key=None, value=b"[1, 2]"),
        InboundMessage(topic="changes", partition=0, offset=92, key=None, value=b'{"seq": "7", "user_id": "bob"}'),
        InboundMessage(topic="changes", partition=0, offset=93, key=None, value=None),
    ]
    alerts.apply_changes([change(1), *garbage, change(2, "bob")])
    assert [[(r["seq"], r["user_id"]) for r in batch] for batch in state.applied] == [[(1, "alice"), (2, "bob")]]


def test_a_raised_alert_is_published_to_its_user_and_then_marked_sent(alerts, state, publisher):
    state.to_raise = [alert("a-80", "alice"), alert("b-100", "bob")]
    assert alerts.apply_changes([change(1)]) == 2
    sent = publisher.on("budget-alerts")
    assert [(m.key, orjson.loads(m.value)["alert_id"]) for m in sent] == [(b"alice", "a-80"), (b"bob", "b-100")]
    assert state.pending() == []
    alerts.apply_changes([change(2)])
    assert len(publisher.on("budget-alerts")) == 2  # nothing published twice once marked sent


def test_a_broker_outage_fails_the_batch_and_the_next_one_publishes_the_same_alert(alerts, state, publisher):
    state.to_raise = [alert("a-80")]
    publisher.down = True
    with pytest.raises(BrokerUnavailable):
        alerts.apply_changes([change(1)])
    assert [a[0] for a in state.pending()] == ["a-80"]  # raised, not sent, not lost
    publisher.down = False
    alerts.apply_changes([change(2)])
    assert [orjson.loads(m.value)["alert_id"] for m in publisher.on("budget-alerts")] == ["a-80"]
    assert state.pending() == []


def test_recent_alerts_read_as_the_api_shows_them(alerts, state):
    state.rows = [
        {
            "user_id": "alice",
            "alert_id": "a-100",
            "category": "groceries",
            "month": "2026-11",
            "threshold": 100,
            "currency": "EUR",
            "accounts": ["acc-1"],
            "budget": "200.00",
            "spent": "201.50",
            "share_used": "1.0075",
            "created_at_us": int(NOW.timestamp() * 1_000_000),
        },
        {"user_id": "bob", "alert_id": "b-80", "created_at_us": 0},
    ]
    [only] = alerts.recent("alice")
    assert only == {
        "id": "a-100",
        "type": "budget.threshold",
        "category": "groceries",
        "month": "2026-11",
        "threshold": 100,
        "currency": "EUR",
        "accounts": ["acc-1"],
        "budget": "200.00",
        "spent": "201.50",
        "share_used": "1.0075",
        "created_at": "2026-11-30T09:00:00+00:00",
    }
