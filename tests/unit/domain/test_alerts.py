"""Budget alerts: each threshold of each budget has one stable id, so consumers can dedupe on it."""

from __future__ import annotations

import uuid

from shared.domain.alerts import alert_id, reached


def test_alert_ids_are_deterministic_per_threshold():
    a = alert_id("alice", "food", "2026-01", 80)
    assert a == alert_id("alice", "food", "2026-01", 80)
    assert uuid.UUID(a).version == 5
    others = {alert_id("alice", "food", "2026-01", 100), alert_id("alice", "food", "2026-02", 80)}
    others |= {alert_id("bob", "food", "2026-01", 80), alert_id("alice", "fun", "2026-01", 80)}
    assert a not in others and len(others) == 4
    # No separator trick makes two different budgets collide.
    assert alert_id("a|b", "c", "2026-01", 80) != alert_id("a", "b|c", "2026-01", 80)


def test_thresholds_count_when_reached_exactly_and_not_a_cent_before():
    from decimal import Decimal

    budget = Decimal("100.00")
    assert reached(Decimal("79.99"), budget) == []
    assert reached(Decimal("80.00"), budget) == [80]
    assert reached(Decimal("99.99"), budget) == [80]
    assert reached(Decimal("100.00"), budget) == [80, 100]
    assert reached(Decimal("250"), budget) == [80, 100]
