"""Split transactions: parts that add up exactly to the transaction, each counted under its own category."""

import uuid
from decimal import Decimal

import pytest
from pydantic import Field, ValidationError

from shared.domain.splits import MAX_SPLITS, Split, Splits, SplitsChange, category_amounts, check_splits
from shared.domain.transactions import NewTransaction, TransactionChanges


class SplitTransaction(NewTransaction):
    """NewTransaction as phase 2 extends it: the field after amount and currency."""

    splits: Splits = Field(default_factory=list)


class SplitChanges(TransactionChanges):
    splits: SplitsChange | None = None


def body(splits, **overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "100.00",
        "currency": "EUR",
        "category": "shopping",
        "date": "2026-03-14",
        "splits": splits,
        **overrides,
    }


def part(category: str, amount: str, **extra) -> dict:
    return {"category": category, "amount": amount, **extra}


def error_of(model, data) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in info.value.errors())


def test_parts_that_add_up_are_kept_in_the_transactions_minor_units():
    t = SplitTransaction.model_validate(
        body([part("groceries", "60.5"), part("household", "39.50", description="soap")])
    )
    assert [(s.category, s.amount) for s in t.splits] == [
        ("groceries", Decimal("60.50")),
        ("household", Decimal("39.50")),
    ]
    assert [str(s.amount) for s in t.splits] == ["60.50", "39.50"]
    assert t.splits[1].to_json("EUR") == {"category": "household", "amount": "39.50", "description": "soap"}


def test_parts_that_do_not_add_up_are_refused_saying_by_how_much():
    message = error_of(SplitTransaction, body([part("groceries", "60.00"), part("household", "39.99")]))
    assert "splits" in message and "add up to 99.99 EUR" in message and "100.00" in message


def test_a_part_is_checked_against_the_transactions_currency():
    message = error_of(SplitTransaction, body([part("a", "50"), part("b", "50.5")], amount="100", currency="JPY"))
    assert "split 2" in message and "JPY" in message


@pytest.mark.parametrize("amount", ["0", "-10.00", "1e2", 10])
def test_a_part_is_a_positive_decimal_string(amount):
    assert "splits.0.amount" in error_of(SplitTransaction, body([part("a", amount), part("b", "100.00")]))


def test_a_part_names_a_valid_category():
    assert "splits.1.category" in error_of(SplitTransaction, body([part("a", "50.00"), part("x/y", "50.00")]))


def test_at_most_max_splits_parts():
    parts = [part("a", "1.00")] * (MAX_SPLITS + 1)
    assert "splits" in error_of(SplitTransaction, body(parts, amount=f"{MAX_SPLITS + 1}.00"))


def test_no_parts_is_a_plain_transaction():
    assert SplitTransaction.model_validate(body([])).splits == []


def test_parts_cannot_be_checked_when_the_amount_is_invalid():
    message = error_of(SplitTransaction, body([part("a", "100.00")], amount="-1"))
    assert "amount" in message and "splits: Value error, splits cannot be checked" in message


def test_a_correction_of_the_parts_with_amount_and_currency_is_checked_at_once():
    change = {"amount": "20.00", "currency": "EUR", "splits": [part("a", "10.00"), part("b", "9.00")]}
    assert "add up to 19.00" in error_of(SplitChanges, change)


def test_a_correction_of_the_parts_alone_is_left_to_storage_with_the_stored_amount():
    change = SplitChanges.model_validate({"splits": [part("a", "10.00"), part("b", "9.00")]})
    [refusal] = check_splits(change.splits, Decimal("20.00"), "EUR")
    assert refusal.code == "invalid" and "add up to 19.00 EUR" in refusal.detail


def test_storage_refuses_a_new_amount_that_the_stored_parts_no_longer_add_up_to():
    stored = [Split(category="a", amount="10.00"), Split(category="b", amount="10.00")]
    assert check_splits(stored, Decimal("20.00"), "EUR") == []
    assert [r.code for r in check_splits(stored, Decimal("25.00"), "EUR")] == ["invalid"]


def test_reports_count_each_part_under_its_own_category():
    parts = [Split(category="groceries", amount="60.00"), Split(category="household", amount="40.00")]
    assert category_amounts("shopping", Decimal("100.00"), parts) == [
        ("groceries", Decimal("60.00")),
        ("household", Decimal("40.00")),
    ]
    assert category_amounts("shopping", Decimal("100.00"), []) == [("shopping", Decimal("100.00"))]
