"""Accounts, transfers and settings as a person sends them, and the refusals storage gives with stored accounts."""

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.domain.accounts import (
    Account,
    AccountChanges,
    AccountType,
    NewAccount,
    NewTransfer,
    UserSettings,
    check_entry,
    check_transfer,
)
from shared.domain.money import MoneyError, parse_amount


def account_body(**overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "name": "Current account",
        "type": "checking",
        "currency": "EUR",
        "opening_balance": "1200.50",
        "opening_date": "2026-01-01",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def refused(model, body) -> dict[str, str]:
    """The fields a validation error names, with their messages."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    return {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in info.value.errors()}


def stored(currency="EUR", *, name="Current", closed=False, opened=dt.date(2026, 1, 1), kind="checking") -> Account:
    return Account(str(uuid.uuid4()), name, AccountType(kind), currency, Decimal("0.00"), opened, closed)


# --- signed amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "currency", "value"),
    [
        ("-1200.50", "EUR", Decimal("-1200.50")),
        ("0", "EUR", Decimal("0.00")),
        ("-0", "EUR", Decimal("0.00")),
        ("0.00", "EUR", Decimal("0.00")),
        ("-5", "JPY", Decimal("-5")),
        (" 7.1 ", "KWD", Decimal("7.100")),
    ],
)
def test_a_balance_may_be_negative_or_zero(raw, currency, value):
    parsed = parse_amount(raw, currency, signed=True, zero=True)
    assert parsed == value
    assert str(parsed) == str(value)  # exponent and sign as the currency writes them: never "-0.00"


@pytest.mark.parametrize("raw", ["+5", "- 5", "--5", "1e3", "5-", "", "0.000", "12.345", "-12.345", "1000000000000"])
def test_a_balance_is_refused_unless_it_is_a_plain_decimal_in_the_currencys_minor_units(raw):
    with pytest.raises(MoneyError):
        parse_amount(raw, "EUR", signed=True, zero=True)


def test_a_json_number_is_refused_as_a_balance():
    with pytest.raises(MoneyError, match="not a JSON number"):
        parse_amount(-5, "EUR", signed=True, zero=True)


def test_the_api_document_describes_the_balances_the_validator_accepts():
    pattern = NewAccount.model_json_schema()["properties"]["opening_balance"]["pattern"]
    for raw in ["-1200.50", "0", "-0.5", "999999999999.99", "12.50"]:
        assert re.fullmatch(pattern, raw), raw
        parse_amount(raw, "EUR", signed=True, zero=True)
    for raw in ["+5", "1e3", "- 5", "1000000000000"]:
        assert not re.fullmatch(pattern, raw), raw


# --- accounts ---------------------------------------------------------------------------------


def test_an_account_keeps_what_the_person_wrote():
    body = account_body(opening_balance="-350.00", type="credit_card", name="  Visa  ")
    account = NewAccount.model_validate(body)
    assert account.opening_balance == Decimal("-350.00")
    assert account.to_json() == {**body, "name": "Visa"}


def test_a_zero_opening_balance_is_written_with_the_currencys_minor_units():
    assert (
        NewAccount.model_validate(account_body(opening_balance="0", currency="kwd")).to_json()["opening_balance"]
        == "0.000"
    )


def test_the_account_id_is_generated_when_the_client_sends_none():
    assert NewAccount.model_validate(account_body(id=...)).id != NewAccount.model_validate(account_body(id=...)).id


def test_an_account_with_an_unknown_currency_names_both_fields():
    errors = refused(NewAccount, account_body(currency="ZZZ"))
    assert "ISO 4217" in errors["currency"]
    assert "without a valid currency" in errors["opening_balance"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", "wallet"), ("name", "   "), ("name", "a\nb"), ("name", "x" * 101), ("opening_date", "2026-1-1")],
)
def test_an_account_is_refused_naming_the_field(field, value):
    assert field in refused(NewAccount, account_body(**{field: value}))


def test_credit_cards_and_loans_are_the_liabilities():
    assert {t for t in AccountType if t.is_liability} == {AccountType.credit_card, AccountType.loan}


def test_an_account_change_renames_or_closes():
    assert AccountChanges.model_validate({"closed": True}).to_json() == {"closed": True}
    assert AccountChanges.model_validate({"name": " Savings "}).to_json() == {"name": "Savings"}


@pytest.mark.parametrize("body", [{}, {"closed": None}, {"name": None}, {"closed": "yes"}, {"currency": "USD"}])
def test_an_account_change_is_refused_when_empty_or_not_a_change(body):
    refused(AccountChanges, body)


# --- transfers --------------------------------------------------------------------------------


def transfer_body(**overrides) -> dict:
    body = {
        "from_account": str(uuid.uuid4()),
        "to_account": str(uuid.uuid4()),
        "amount": "250.00",
        "date": "2026-03-01",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def test_a_transfer_between_one_account_and_itself_is_refused():
    same = str(uuid.uuid4())
    assert "two different accounts" in refused(NewTransfer, transfer_body(from_account=same, to_account=same))["body"]


@pytest.mark.parametrize("amount", ["0", "-5", "1e2", 250])
def test_a_transfer_amount_is_a_positive_decimal_string(amount):
    assert "amount" in refused(NewTransfer, transfer_body(amount=amount))


def test_what_arrives_is_the_amount_unless_to_amount_says_otherwise():
    assert NewTransfer.model_validate(transfer_body()).arriving() == Decimal("250.00")
    assert NewTransfer.model_validate(transfer_body(to_amount="271.50")).arriving() == Decimal("271.50")


def codes(refusals) -> list[str]:
    return [r.code for r in refusals]


def test_a_transfer_between_two_open_accounts_of_one_currency_is_accepted():
    t = NewTransfer.model_validate(transfer_body())
    assert check_transfer(t, stored(), stored()) == []


def test_a_transfer_names_each_account_that_is_not_the_callers():
    t = NewTransfer.model_validate(transfer_body())
    refusals = check_transfer(t, None, None)
    assert codes(refusals) == ["not_found", "not_found"]
    assert str(t.from_account) in refusals[0].detail and str(t.to_account) in refusals[1].detail


def test_a_closed_account_refuses_a_transfer_either_way():
    t = NewTransfer.model_validate(transfer_body())
    assert codes(check_transfer(t, stored(closed=True), stored())) == ["closed"]
    assert codes(check_transfer(t, stored(), stored(closed=True))) == ["closed"]


def test_a_transfer_across_currencies_needs_the_arriving_amount():
    t = NewTransfer.model_validate(transfer_body())
    [refusal] = check_transfer(t, stored("EUR"), stored("USD"))
    assert refusal.code == "invalid" and "to_amount is required" in refusal.detail
    t = NewTransfer.model_validate(transfer_body(to_amount="271.50"))
    assert check_transfer(t, stored("EUR"), stored("USD")) == []


def test_a_transfer_within_one_currency_takes_no_different_arriving_amount():
    t = NewTransfer.model_validate(transfer_body(to_amount="240.00"))
    assert codes(check_transfer(t, stored(), stored())) == ["invalid"]
    t = NewTransfer.model_validate(transfer_body(to_amount="250"))
    assert check_transfer(t, stored(), stored()) == []


def test_each_side_of_a_transfer_is_checked_in_its_own_accounts_minor_units():
    t = NewTransfer.model_validate(transfer_body(amount="10.50", to_amount="1690.5"))
    refusals = check_transfer(t, stored("EUR"), stored("JPY"))
    assert [r.detail.split(":")[0] for r in refusals] == ["to_amount"]
    t = NewTransfer.model_validate(transfer_body(amount="10.505", to_amount="1690"))
    assert [r.detail.split(":")[0] for r in check_transfer(t, stored("EUR"), stored("JPY"))] == ["amount"]


def test_a_transfer_dated_before_an_account_opened_is_refused():
    t = NewTransfer.model_validate(transfer_body(date="2025-12-31"))
    assert codes(check_transfer(t, stored(), stored(opened=dt.date(2025, 1, 1)))) == ["before_opening"]


# --- a transaction's account ------------------------------------------------------------------


def test_a_transaction_may_be_recorded_in_an_open_account_of_its_currency():
    assert check_entry(stored(), account_id="a", currency="EUR", day=dt.date(2026, 3, 1)) == []


@pytest.mark.parametrize(
    ("account", "currency", "day", "code"),
    [
        (None, "EUR", dt.date(2026, 3, 1), "not_found"),
        (stored(closed=True), "EUR", dt.date(2026, 3, 1), "closed"),
        (stored(), "USD", dt.date(2026, 3, 1), "currency_mismatch"),
        (stored(), "EUR", dt.date(2025, 12, 31), "before_opening"),
    ],
)
def test_a_transaction_is_refused_with_the_reason_its_account_gives(account, currency, day, code):
    assert codes(check_entry(account, account_id="a", currency=currency, day=day)) == [code]


# --- settings ---------------------------------------------------------------------------------


def test_the_home_currency_is_an_iso_code_written_any_case():
    assert UserSettings.model_validate({"home_currency": "usd"}).home_currency == "USD"
    assert "home_currency" in refused(UserSettings, {"home_currency": "XAU"})
    assert "home_currency" in refused(UserSettings, {})


@pytest.mark.parametrize("amount", ["1000000000000", "1.00001"])
def test_a_transfer_amount_no_currency_could_hold_is_refused_before_the_accounts_are_known(amount):
    assert "amount" in refused(NewTransfer, transfer_body(amount=amount))
