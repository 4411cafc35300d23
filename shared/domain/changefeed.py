"""The change feed: what storage applied, one record per change, in commit order (`seq`), keyed by user.

Storage writes a batch's records in the same database transaction as the changes (an outbox) and relays them to
the changes topic after the commit; consumers (budget alerts, webhooks) apply each record at most once by keeping,
per user, the highest `seq` they have applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from shared.domain.ledger import Record
from shared.domain.money import format_amount


def _state(r: Record | None) -> dict[str, Any] | None:
    if r is None or r.deleted:
        return None
    return {
        "type": r.type,
        "amount": format_amount(r.amount, r.currency),
        "currency": r.currency,
        "category": r.category,
        "date": r.date.isoformat(),
    }


def transaction_change(seq: int, before: Record | None, after: Record) -> dict[str, Any]:
    return {
        "kind": "transaction",
        "seq": seq,
        "user_id": after.user_id,
        "id": after.id,
        "version": after.version,
        "before": _state(before),
        "after": _state(after),
    }


def budget_change(seq: int, user_id: str, category: str, month: str, amount: str, currency: str) -> dict[str, Any]:
    return {
        "kind": "budget",
        "seq": seq,
        "user_id": user_id,
        "category": category,
        "month": month,
        "amount": amount,
        "currency": currency,
    }


def operation_change(seq: int, user_id: str, operation: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "operation", "seq": seq, "user_id": user_id, "operation": dict(operation)}


ExpenseKey = tuple[str, str, str]  # month, category, currency


def expense_delta(record: Mapping[str, Any]) -> dict[ExpenseKey, Decimal]:
    """How a transaction change moves each (month, category, currency)'s expenses: minus before, plus after."""
    delta: dict[ExpenseKey, Decimal] = {}
    for side, sign in (("before", -1), ("after", 1)):
        state = record.get(side)
        if state and state["type"] == "expense":
            key = (state["date"][:7], state["category"], state["currency"])
            delta[key] = delta.get(key, Decimal(0)) + sign * Decimal(state["amount"])
    return {k: v for k, v in delta.items() if v}
