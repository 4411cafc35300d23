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
from shared.domain.ledger_accounts import AccountRecord, SettingsRecord, TransferRecord
from shared.domain.money import format_amount
from shared.domain.splits import Split, category_amounts


def _state(r: Record | None) -> dict[str, Any] | None:
    if r is None or r.deleted:
        return None
    return {
        "type": r.type,
        "amount": format_amount(r.amount, r.currency),
        "currency": r.currency,
        "category": r.category,
        "date": r.date.isoformat(),
        "account_id": r.account_id,
        "splits": [s.to_json(r.currency) for s in r.splits],
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


def account_change(seq: int, before: AccountRecord | None, after: AccountRecord) -> dict[str, Any]:
    def state(r: AccountRecord | None) -> dict[str, Any] | None:
        if r is None:
            return None
        a = r.account
        return {
            "name": a.name,
            "type": a.type.value,
            "currency": a.currency,
            "opening_balance": format_amount(a.opening_balance, a.currency),
            "opening_date": a.opening_date.isoformat(),
            "closed": a.closed,
        }

    return _change("account", seq, after.user_id, after.account.id, after.version, state(before), state(after))


def transfer_change(seq: int, before: TransferRecord | None, after: TransferRecord) -> dict[str, Any]:
    """A transfer's two legs: never income nor expense, so no budget counts it."""

    def state(r: TransferRecord | None) -> dict[str, Any] | None:
        if r is None or r.deleted:
            return None
        return {
            "from_account": r.from_account,
            "to_account": r.to_account,
            "amount": format_amount(r.amount, r.from_currency),
            "to_amount": format_amount(r.to_amount, r.to_currency),
            "from_currency": r.from_currency,
            "to_currency": r.to_currency,
            "date": r.date.isoformat(),
        }

    return _change("transfer", seq, after.user_id, after.id, after.version, state(before), state(after))


def settings_change(seq: int, after: SettingsRecord) -> dict[str, Any]:
    return {"kind": "settings", "seq": seq, "user_id": after.user_id, "home_currency": after.home_currency}


def _change(kind: str, seq: int, user_id: str, id: str, version: int, before, after) -> dict[str, Any]:
    return {
        "kind": kind,
        "seq": seq,
        "user_id": user_id,
        "id": id,
        "version": version,
        "before": before,
        "after": after,
    }


def budget_change(
    seq: int, user_id: str, category: str, month: str, amount: str, currency: str, accounts: list[str] | None = None
) -> dict[str, Any]:
    """A budget as set: `accounts` the sorted ids whose expenses it counts, None for every expense."""
    return {
        "kind": "budget",
        "seq": seq,
        "user_id": user_id,
        "category": category,
        "month": month,
        "amount": amount,
        "currency": currency,
        "accounts": accounts,
    }


def operation_change(seq: int, user_id: str, operation: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "operation", "seq": seq, "user_id": user_id, "operation": dict(operation)}


ExpenseKey = tuple[str, str, str]  # month, category, currency
AccountExpenseKey = tuple[str, str, str, str]  # month, category, currency, account id


def expense_delta(record: Mapping[str, Any]) -> dict[ExpenseKey, Decimal]:
    """How a transaction change moves each (month, category, currency)'s expenses: minus before, plus after.

    A split expense counts each part under its own category; a transfer is never an expense."""
    return _delta(record, by_account=False)


def account_expense_delta(record: Mapping[str, Any]) -> dict[AccountExpenseKey, Decimal]:
    """The same, per account, for the sides of the change that are in one (what account-set budgets count)."""
    return _delta(record, by_account=True)


def _delta(record: Mapping[str, Any], *, by_account: bool) -> dict:
    delta: dict[tuple, Decimal] = {}
    if record.get("kind", "transaction") != "transaction":
        return delta
    for side, sign in (("before", -1), ("after", 1)):
        state = record.get(side)
        if not state or state["type"] != "expense" or (by_account and not state.get("account_id")):
            continue
        month, currency = state["date"][:7], state["currency"]
        account = (state["account_id"],) if by_account else ()
        for category, amount in category_amounts(state["category"], Decimal(state["amount"]), _splits(state)):
            key = (month, category, currency, *account)
            delta[key] = delta.get(key, Decimal(0)) + sign * amount
    return {k: v for k, v in delta.items() if v}


def _splits(state: Mapping[str, Any]) -> list[Split]:
    # Written by storage from checked parts: built, not validated again (records from before splits have none).
    return [
        Split.model_construct(category=p["category"], amount=Decimal(p["amount"]), description=p.get("description"))
        for p in state.get("splits") or ()
    ]
