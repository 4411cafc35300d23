"""What a person may record: transactions, corrections and monthly budgets."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.domain.transactions import MAX_DESCRIPTION, MAX_TAGS, Budget, Kind, NewTransaction, TransactionChanges


def valid(**overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "12.50",
        "currency": "EUR",
        "category": "groceries",
        "description": "weekly shop",
        "date": "2026-03-14",
        "tags": ["food"],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def refused(model, body) -> dict[str, str]:
    """The fields a validation error names, with their messages."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    return {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in info.value.errors()}


# --- NewTransaction ---------------------------------------------------------------------------


def test_a_valid_transaction_keeps_what_the_person_wrote():
    body = valid()
    t = NewTransaction.model_validate(body)
    assert t.id == uuid.UUID(body["id"])
    assert t.type is Kind.expense
    assert t.amount == Decimal("12.50")
    assert t.currency == "EUR"
    assert t.date == dt.date(2026, 3, 14)
    assert t.to_json() == body


def test_the_id_is_generated_when_the_client_sends_none():
    a = NewTransaction.model_validate(valid(id=...))
    b = NewTransaction.model_validate(valid(id=...))
    assert a.id != b.id


def test_json_form_writes_amounts_as_strings_with_minor_units():
    t = NewTransaction.model_validate(valid(amount="7", currency="kwd"))
    assert t.to_json()["amount"] == "7.000"
    assert t.to_json()["currency"] == "KWD"


@pytest.mark.parametrize("missing", ["type", "amount", "currency", "category", "date"])
def test_required_fields_are_named_when_missing(missing):
    errors = refused(NewTransaction, valid(**{missing: ...}))
    assert missing in errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "Expense"),
        ("type", "transfer"),
        ("amount", 12.5),
        ("amount", "-1"),
        ("amount", "12.501"),
        ("currency", "XAU"),
        ("currency", "EURO"),
        ("category", ""),
        ("category", "a/b"),
        ("category", "a\\b"),
        ("category", "tab\there"),
        ("category", "x" * 65),
        ("category", 5),
        ("id", "not-a-uuid"),
        ("description", 5),
        ("description", "nul\x00byte"),
        ("tags", "food"),
        ("tags", ["ok", 1]),
    ],
)
def test_invalid_field_values_are_refused_and_named(field, value):
    assert field in refused(NewTransaction, valid(**{field: value}))


def test_amount_error_names_the_amount_not_the_currency():
    errors = refused(NewTransaction, valid(amount="1.5", currency="JPY"))
    assert set(errors) == {"amount"}
    assert "JPY" in errors["amount"]


def test_an_invalid_currency_does_not_hide_the_amount_problem():
    errors = refused(NewTransaction, valid(currency="ZZZ"))
    assert "currency" in errors
    assert "amount" in errors


def test_extra_fields_are_refused_by_name():
    errors = refused(NewTransaction, valid(amount_cents=1250))
    assert "amount_cents" in errors


@pytest.mark.parametrize(
    "description",
    [
        "x" * MAX_DESCRIPTION,
        "é" * MAX_DESCRIPTION,  # two bytes each in UTF-8: the limit counts characters
        "😀" * MAX_DESCRIPTION,  # four bytes each
        "",
        None,
    ],
)
def test_descriptions_up_to_500_characters_are_kept_whatever_their_bytes(description):
    assert NewTransaction.model_validate(valid(description=description)).description == description


@pytest.mark.parametrize("description", ["x" * (MAX_DESCRIPTION + 1), "😀" * (MAX_DESCRIPTION + 1)])
def test_a_501_character_description_is_refused(description):
    errors = refused(NewTransaction, valid(description=description))
    assert "501" in errors["description"]
    assert "500" in errors["description"]


def test_tags_are_trimmed_deduplicated_and_blank_ones_dropped_in_order():
    t = NewTransaction.model_validate(valid(tags=[" food ", "food", "", "  ", "work", "food"]))
    assert t.tags == ["food", "work"]


def test_missing_or_null_tags_mean_no_tags():
    assert NewTransaction.model_validate(valid(tags=...)).tags == []
    assert NewTransaction.model_validate(valid(tags=None)).tags == []


def test_twenty_distinct_tags_are_allowed_and_duplicates_do_not_count():
    tags = [f"t{i}" for i in range(MAX_TAGS)]
    assert NewTransaction.model_validate(valid(tags=tags + tags)).tags == tags


def test_twenty_one_tags_are_refused():
    errors = refused(NewTransaction, valid(tags=[f"t{i}" for i in range(MAX_TAGS + 1)]))
    assert "tags" in errors


def test_tags_longer_than_32_characters_are_refused():
    assert NewTransaction.model_validate(valid(tags=["x" * 32])).tags == ["x" * 32]
    assert "tags" in refused(NewTransaction, valid(tags=["x" * 33]))


def test_category_is_trimmed():
    assert NewTransaction.model_validate(valid(category="  rent ")).category == "rent"


@pytest.mark.parametrize(
    "date",
    [
        "2026-3-14",
        "14.03.2026",
        "2026/03/14",
        "2026-03-14T00:00:00",
        "2026-03-14T10:00:00Z",
        "20260314",
        " 2026-03-14",
        "2026-02-30",
        "2026-13-01",
        1773446400,
        "",
        "1899-12-31",
        "3000-01-01",
    ],
)
def test_the_date_must_be_a_real_booking_date_written_yyyy_mm_dd(date):
    assert "date" in refused(NewTransaction, valid(date=date))


@pytest.mark.parametrize("date", ["1900-01-01", "2024-02-29", "2999-12-31"])
def test_dates_within_the_supported_range_are_accepted(date):
    assert NewTransaction.model_validate(valid(date=date)).date.isoformat() == date


def test_transactions_are_immutable_once_validated():
    t = NewTransaction.model_validate(valid())
    with pytest.raises(ValidationError):
        t.amount = Decimal("1")  # type: ignore[misc]


# --- TransactionChanges -----------------------------------------------------------------------


def test_a_correction_keeps_only_the_fields_it_names():
    c = TransactionChanges.model_validate({"category": "rent", "description": None})
    assert c.to_json() == {"category": "rent", "description": None}


def test_amount_and_currency_are_corrected_together():
    c = TransactionChanges.model_validate({"amount": "9.9", "currency": "EUR"})
    assert c.to_json() == {"amount": "9.90", "currency": "EUR"}


def test_an_amount_alone_is_accepted_as_written_for_storage_to_check_against_the_stored_currency():
    c = TransactionChanges.model_validate({"amount": "1234.5"})
    assert c.to_json() == {"amount": "1234.5"} and c.currency is None


def test_a_currency_alone_is_accepted():
    assert TransactionChanges.model_validate({"currency": "usd"}).to_json() == {"currency": "USD"}


@pytest.mark.parametrize("amount", ["0", "-1", "1.23456", "abc", "1e3"])
def test_an_amount_alone_must_still_be_a_plain_positive_decimal(amount):
    assert "amount" in refused(TransactionChanges, {"amount": amount})


def test_an_empty_correction_is_refused():
    errors = refused(TransactionChanges, {})
    assert "at least one field" in " ".join(errors.values())


@pytest.mark.parametrize("field", ["type", "category", "date"])
def test_required_fields_cannot_be_removed_by_a_correction(field):
    errors = refused(TransactionChanges, {field: None})
    assert f"{field} cannot be removed" in " ".join(errors.values())


@pytest.mark.parametrize("body", [{"amount": None, "currency": None}, {"amount": None, "currency": "EUR"}])
def test_amount_and_currency_cannot_be_removed_by_a_correction(body):
    # A transaction without an amount cannot be stored; the correction must be refused at the edge.
    errors = refused(TransactionChanges, body)
    assert "cannot be removed" in " ".join(errors.values())


def test_a_correction_validates_its_fields_like_a_new_transaction():
    errors = refused(TransactionChanges, {"amount": "1.5", "currency": "JPY", "date": "2026-02-30", "tags": ["x" * 33]})
    assert {"amount", "date", "tags"} <= set(errors)


def test_a_correction_refuses_unknown_fields():
    assert "id" in refused(TransactionChanges, {"id": str(uuid.uuid4()), "category": "rent"})


def test_clearing_tags_and_description_is_a_correction():
    c = TransactionChanges.model_validate({"tags": None, "description": None})
    assert c.to_json() == {"tags": None, "description": None}


# --- Budget -----------------------------------------------------------------------------------


def test_a_budget_is_a_monthly_limit_for_one_category():
    b = Budget.model_validate({"category": "food", "month": "2026-11", "amount": "300", "currency": "EUR"})
    assert b.to_json() == {
        "category": "food", "month": "2026-11", "amount": "300.00", "currency": "EUR", "accounts": None
    }  # fmt: skip


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-11", "2026-11-01", "2026/11", "", 202611])
def test_budget_month_must_be_yyyy_mm(month):
    errors = refused(Budget, {"category": "food", "month": month, "amount": "300", "currency": "EUR"})
    assert "month" in errors


def test_budget_amount_follows_the_money_rules():
    errors = refused(Budget, {"category": "food", "month": "2026-11", "amount": 300, "currency": "EUR"})
    assert "amount" in errors


def test_budget_refuses_extra_fields():
    body = {"category": "food", "month": "2026-11", "amount": "300", "currency": "EUR", "rollover": True}
    assert "rollover" in refused(Budget, body)
