"""The account events on the wire, and the change feed's records of what storage applied: splits counted per
category in budgets, transfers never."""

from __future__ import annotations

import uuid
from decimal import Decimal

import orjson
import pytest

from shared.domain.accounts import AccountChanges, NewAccount, NewTransfer, UserSettings
from shared.domain.changefeed import expense_delta
from shared.domain.events import (
    AccountChanged,
    AccountOpened,
    PoisonMessage,
    SettingsSet,
    TransactionCreated,
    TransactionUpdated,
    TransferCreated,
    TransferDeleted,
    decode,
    encode,
)
from shared.domain.transactions import NewTransaction, TransactionChanges

A, B = str(uuid.uuid4()), str(uuid.uuid4())


def every_event():
    account = {"name": "Card", "type": "credit_card", "currency": "EUR", "opening_balance": "-12.5"}
    transfer = {"from_account": A, "to_account": B, "amount": "100.00", "date": "2026-02-02"}
    split = {"type": "expense", "amount": "10", "currency": "EUR", "category": "x", "date": "2026-01-01"}
    return [
        AccountOpened(user_id="u", account=NewAccount.model_validate({**account, "opening_date": "2026-01-01"})),
        AccountChanged(user_id="u", account_id=uuid.uuid4(), changes=AccountChanges(closed=True), expected_version=2),
        TransferCreated(user_id="u", transfer=NewTransfer.model_validate({**transfer, "to_amount": "108.66"})),
        TransferCreated(user_id="u", transfer=NewTransfer.model_validate(transfer)),
        TransferDeleted(user_id="u", transfer_id=uuid.uuid4()),
        SettingsSet(user_id="u", settings=UserSettings(home_currency="usd")),
        TransactionCreated(
            user_id="u",
            transaction=NewTransaction.model_validate(
                {**split, "account_id": A, "payee": " Bakery ", "splits": [{"category": "a", "amount": "10"}]}
            ),
        ),
        TransactionUpdated(
            user_id="u",
            transaction_id=uuid.uuid4(),
            changes=TransactionChanges.model_validate({"splits": [{"category": "a", "amount": "1.5"}], "payee": None}),
        ),
        TransactionUpdated(
            user_id="u", transaction_id=uuid.uuid4(), changes=TransactionChanges.model_validate({"account_id": None})
        ),
    ]


@pytest.mark.parametrize("event", every_event(), ids=lambda e: e.event_type)
def test_every_account_event_survives_the_round_trip(event):
    wire = encode(event)
    assert decode(wire) == event and encode(decode(wire)) == wire


def test_a_plain_transaction_travels_without_the_new_fields():
    plain = {"type": "expense", "amount": "1", "currency": "EUR", "category": "x", "date": "2026-01-01"}
    body = orjson.loads(encode(TransactionCreated(user_id="u", transaction=NewTransaction.model_validate(plain))))
    assert not {"splits", "account_id", "payee"} & set(body["transaction"])


@pytest.mark.parametrize("body", ["account", "transfer"])
def test_a_create_without_its_id_is_poison(body):
    event = every_event()[0 if body == "account" else 2]
    data = orjson.loads(encode(event))
    del data[body]["id"]
    with pytest.raises(PoisonMessage, match=f"{body}.id is required"):
        decode(orjson.dumps(data))


def _record(before, after, kind="transaction") -> dict:
    return {"kind": kind, "seq": 1, "user_id": "u", "id": "t", "version": 2, "before": before, "after": after}


def _state(amount: str, category: str, splits=(), **over) -> dict:
    parts = [{"category": c, "amount": a, "description": None} for c, a in splits]
    base = {"type": "expense", "amount": amount, "currency": "EUR", "category": category, "date": "2026-03-14"}
    return {**base, "account_id": None, "splits": parts, **over}


def test_a_split_expense_counts_each_part_under_its_category():
    delta = expense_delta(_record(None, _state("100.00", "shopping", [("groceries", "60.00"), ("home", "40.00")])))
    assert delta == {("2026-03", "groceries", "EUR"): Decimal("60.00"), ("2026-03", "home", "EUR"): Decimal("40.00")}


def test_resplitting_moves_money_between_categories_and_unsplitting_gives_it_back():
    before = _state("100.00", "shopping", [("groceries", "60.00"), ("home", "40.00")])
    after = _state("100.00", "shopping", [("groceries", "70.00"), ("home", "30.00")])
    assert expense_delta(_record(before, after)) == {
        ("2026-03", "groceries", "EUR"): Decimal("10.00"),
        ("2026-03", "home", "EUR"): Decimal("-10.00"),
    }
    assert expense_delta(_record(after, _state("100.00", "shopping"))) == {
        ("2026-03", "groceries", "EUR"): Decimal("-70.00"),
        ("2026-03", "home", "EUR"): Decimal("-30.00"),
        ("2026-03", "shopping", "EUR"): Decimal("100.00"),
    }


def test_records_written_before_splits_existed_still_count():
    old = {"type": "expense", "amount": "5.00", "currency": "EUR", "category": "food", "date": "2026-03-01"}
    assert expense_delta(_record(None, old)) == {("2026-03", "food", "EUR"): Decimal("5.00")}


def test_a_transfer_is_never_an_expense():
    leg = {"from_account": A, "to_account": B, "amount": "50.00", "to_amount": "50.00", "date": "2026-03-01"}
    assert expense_delta(_record(None, {**leg, "type": "expense", "category": "x"}, kind="transfer")) == {}
