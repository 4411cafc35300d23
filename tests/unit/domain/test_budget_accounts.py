"""Budgets that name an account set: 1 to 20 distinct account ids or null (global), validated once in the domain;
storage's rule that each id is one of the caller's accounts, closed ones included; the change feed's per-account
expenses that account-set budget alerts sum."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.domain import ledger
from shared.domain import ledger_accounts as rules
from shared.domain.accounts import Account, AccountType
from shared.domain.changefeed import account_expense_delta, budget_change, expense_delta
from shared.domain.events import BudgetSet, decode, encode
from shared.domain.transactions import Budget, BudgetLimit

A, B = sorted(str(uuid.uuid4()) for _ in range(2))


def limit(**over) -> BudgetLimit:
    return BudgetLimit.model_validate({"amount": "100", "currency": "EUR", **over})


@pytest.mark.parametrize("accounts", [None, [A], [B, A], [str(uuid.uuid4()) for _ in range(20)]])
def test_an_account_set_is_1_to_20_distinct_ids_or_null(accounts):
    got = limit(accounts=accounts).accounts
    assert got == (None if accounts is None else tuple(sorted(uuid.UUID(a) for a in accounts)))


def test_absent_accounts_is_a_global_budget():
    assert limit().accounts is None


@pytest.mark.parametrize(
    "accounts",
    [[], [A, A], [A, A.upper()], ["not-a-uuid"], [1], A, {"id": A}, [str(uuid.uuid4()) for _ in range(21)]],
)
def test_anything_else_is_refused_naming_the_field(accounts):
    with pytest.raises(ValidationError) as err:
        limit(accounts=accounts)
    assert [e["loc"] for e in err.value.errors()] == [("accounts",)]


def test_the_event_carries_the_sorted_set_and_a_global_budget_none():
    budget = {"category": "food", "month": "2026-11", "amount": "100", "currency": "EUR"}
    with_set = BudgetSet(user_id="u", budget=Budget.model_validate({**budget, "accounts": [B, A]}))
    assert decode(encode(with_set)).budget.account_ids() == [A, B]
    plain = BudgetSet(user_id="u", budget=Budget.model_validate(budget))
    assert "accounts" not in plain.to_json()["budget"]  # readable by consumers that predate sets
    assert decode(encode(plain)).budget.to_json()["accounts"] is None


def _accounts(*owned: Account):
    mine = {a.id: a for a in owned}
    return lambda account_id: mine.get(account_id)


def _account(account_id: str, *, closed: bool = False) -> Account:
    return Account(
        account_id,
        "Card",
        AccountType("credit_card"),
        "EUR",
        Decimal(0),
        dt.date(2026, 1, 1),
        closed,
    )


def _set(accounts) -> BudgetSet:
    budget = {"category": "food", "month": "2026-11", "amount": "100", "currency": "EUR", "accounts": accounts}
    return BudgetSet(user_id="u", budget=Budget.model_validate(budget))


def test_a_budget_may_name_the_callers_accounts_closed_ones_too():
    assert rules.check_budget(_set([A, B]), accounts=_accounts(_account(A), _account(B, closed=True))) == ledger.APPLIED
    assert rules.check_budget(_set(None), accounts=_accounts()) == ledger.APPLIED


def test_an_account_not_theirs_rejects_it_not_found_naming_the_account():
    result = rules.check_budget(_set([A, B]), accounts=_accounts(_account(A)))
    assert result.kind == "rejected" and result.rejection is not None
    assert (result.rejection.code, result.rejection.status) == ("not_found", 404)
    assert B in result.rejection.detail and A not in result.rejection.detail


def test_the_budget_change_record_carries_its_accounts():
    assert budget_change(1, "u", "food", "2026-11", "1.00", "EUR", [A])["accounts"] == [A]
    assert budget_change(1, "u", "food", "2026-11", "1.00", "EUR")["accounts"] is None


def test_per_account_expenses_count_split_parts_and_only_transactions_in_an_account():
    parts = [{"category": "food", "amount": "10.00"}, {"category": "fun", "amount": "20.00"}]
    split = {"type": "expense", "amount": "30.00", "currency": "EUR", "category": "food", "date": "2026-11-03",
             "account_id": A, "splits": parts}  # fmt: skip
    loose = {**split, "account_id": None, "splits": []}
    record = {"kind": "transaction", "before": loose, "after": split}
    assert account_expense_delta(record) == {
        ("2026-11", "food", "EUR", A): Decimal("10.00"), ("2026-11", "fun", "EUR", A): Decimal("20.00")
    }  # fmt: skip
    assert expense_delta(record) == {
        ("2026-11", "food", "EUR"): Decimal("-20.00"), ("2026-11", "fun", "EUR"): Decimal("20.00")
    }  # fmt: skip
    assert account_expense_delta({"kind": "transfer", "before": None, "after": split}) == {}
