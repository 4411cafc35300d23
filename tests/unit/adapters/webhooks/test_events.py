"""Which messages become webhook events: threshold alerts, and finished imports in the change feed."""

from __future__ import annotations

import orjson
import pytest

from shared.adapters.webhooks.events import Poison, from_alert, from_change

ALERT = {
    "alert_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "type": "budget.threshold_reached",
    "user_id": "alice",
    "category": "food",
    "month": "2026-11",
    "threshold": 80,
    "currency": "EUR",
    "budget": "100.00",
    "spent": "80.00",
    "share_used": "0.8000",
    "detected_at": "2026-11-30T10:00:00.123456+00:00",
}


def operation(**changes) -> dict:
    op = {"id": "op-1", "type": "import", "status": "applied", "applied": 3, "duplicates": 1, "rejected": 0}
    return {
        "kind": "operation",
        "seq": 7,
        "user_id": "alice",
        "operation": {**op, "resource": "/api/imports/i1", **changes},
    }


def test_a_threshold_alert_is_a_budget_threshold_event_named_by_its_alert_id():
    event = from_alert(orjson.dumps(ALERT))
    assert (event.source_id, event.user_id, event.type) == (f"alert:{ALERT['alert_id']}", "alice", "budget.threshold")
    # An alert from before budgets named accounts is a global budget's.
    assert event.data == {**{k: v for k, v in ALERT.items() if k not in ("type", "user_id")}, "accounts": None}
    assert event.occurred_at.isoformat() == ALERT["detected_at"]
    assert from_alert(orjson.dumps({**ALERT, "accounts": ["acc-1"]})).data["accounts"] == ["acc-1"]


def test_a_finished_import_is_an_import_completed_event_with_its_counts():
    event = from_change(orjson.dumps(operation()))
    assert (event.source_id, event.user_id, event.type) == ("import:op-1", "alice", "import.completed")
    assert event.data == {
        "operation_id": "op-1",
        "status": "applied",
        "applied": 3,
        "duplicates": 1,
        "rejected": 0,
        "resource": "/api/imports/i1",
    }
    assert from_change(orjson.dumps(operation(status="rejected"))).data["status"] == "rejected"


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "transaction", "seq": 1, "user_id": "alice", "id": "t", "before": None, "after": None},
        {"kind": "budget", "seq": 2, "user_id": "alice"},
        operation(type="transaction"),
        operation(status="pending"),
    ],
)
def test_every_other_change_is_not_an_event(record):
    assert from_change(orjson.dumps(record)) is None


def test_other_kinds_of_alert_are_not_events():
    assert from_alert(orjson.dumps({**ALERT, "type": "something.else"})) is None


@pytest.mark.parametrize("value", [b"{not json", b"[1,2]", None, orjson.dumps({**ALERT, "threshold": "lots"})])
def test_unreadable_alerts_are_poison(value):
    with pytest.raises(Poison):
        from_alert(value)


def test_an_operation_record_without_its_operation_is_poison_naming_the_field():
    with pytest.raises(Poison, match="operation"):
        from_change(orjson.dumps({"kind": "operation", "seq": 1, "user_id": "alice"}))
