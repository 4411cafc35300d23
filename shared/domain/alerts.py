"""Budget alerts: a month's expenses in a category reaching 80% and 100% of its budget, each threshold once
(a budget that names accounts: the expenses booked in them)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import orjson

from shared.domain.money import format_amount

THRESHOLDS = (80, 100)  # percent of the budget; reaching it counts
_NAMESPACE = uuid.UUID("6f0b4a52-8d5e-4c1e-9a57-3c1de0a2b6f1")
_SHARE = Decimal("0.0001")


def alert_id(user_id: str, category: str, month: str, threshold: int) -> str:
    """The same threshold of the same budget always has the same id: consumers dedupe on it."""
    return str(uuid.uuid5(_NAMESPACE, orjson.dumps([user_id, category, month, threshold]).decode()))


def reached(spent: Decimal, budget: Decimal) -> list[int]:
    """The thresholds `spent` has reached; expenses count in the budget's currency only (no conversion)."""
    return [t for t in THRESHOLDS if spent * 100 >= budget * t]


def payload(
    *,
    user_id: str,
    category: str,
    month: str,
    threshold: int,
    currency: str,
    budget: Decimal,
    spent: Decimal,
    at: str,
    accounts: list[str] | None = None,
) -> dict[str, Any]:
    """The alert as published on the alerts topic (the contract with its consumers: webhooks, dashboards)."""
    return {
        "alert_id": alert_id(user_id, category, month, threshold),
        "type": "budget.threshold_reached",
        "user_id": user_id,
        "category": category,
        "month": month,
        "threshold": threshold,
        "currency": currency,
        "accounts": accounts,  # the budget's account set when the threshold was reached; None: every expense
        "budget": format_amount(budget, currency),
        "spent": format_amount(spent, currency),
        "share_used": str((spent / budget).quantize(_SHARE, ROUND_HALF_EVEN)) if budget else None,
        "detected_at": at,
    }
