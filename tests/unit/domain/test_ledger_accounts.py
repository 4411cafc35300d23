"""Storage's rules for accounts: each rejection row of the design, for transactions in accounts, transfers and
account changes, applied over the records as the user's earlier events left them."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.domain import ledger
from shared.domain import ledger_accounts as rules
from shared.domain.accounts import AccountChanges, NewAccount, NewTransfer, UserSettings
from shared.domain.events import (
    AccountChanged,
    AccountOpened,
    SettingsSet,
    TransactionCreated,
    TransactionDeleted,
    TransactionUpdated,
    TransferCreated,
    TransferDeleted,
)
from shared.domain.transactions import NewTransaction, TransactionChanges

USER = "alice"


def opened(**over) -> rules.AccountRecord:
    body = {"name": "Current", "type": "checking", "currency": "EUR", "opening_balance": "100.00"}
    account = NewAccount.model_validate({**body, "opening_date": "2026-01-01", **over})
    record, result = rules.open_account(None, AccountOpened(user_id=USER, account=account), now_us=1)
    assert result == ledger.APPLIED and record is not None
    return record


def closed(record: rules.AccountRecord) -> rules.AccountRecord:
    event = AccountChanged(user_id=USER, account_id=uuid.UUID(record.account.id), changes=AccountChanges(closed=True))
    new, result = rules.change_account(record, event)
    assert result == ledger.APPLIED and new is not None and new.account.closed
    return new


def lookup(*records: rules.AccountRecord):
    by_id = {r.account.id: r.account for r in records}
    return by_id.get


def created(account: rules.AccountRecord | None, **over) -> TransactionCreated:
    body = {"type": "expense", "amount": "10.00", "currency": "EUR", "category": "food", "date": "2026-03-14"}
    if account is not None:
        body["account_id"] = account.account.id
    return TransactionCreated(user_id=USER, transaction=NewTransaction.model_validate({**body, **over}))


def stored_in(account: rules.AccountRecord, **over) -> ledger.Record:
    record, result = ledger.create(None, created(account, **over), now_us=1, accounts=lookup(account))
    assert result == ledger.APPLIED and record is not None
    return record


def update(record: ledger.Record, changes: dict) -> TransactionUpdated:
    changed = TransactionChanges.model_validate(changes)
    return TransactionUpdated(user_id=USER, transaction_id=uuid.UUID(record.id), changes=changed)


def transfer(source, target, **over) -> TransferCreated:
    body = {"from_account": source.account.id, "to_account": target.account.id, "amount": "50.00", "date": "2026-02-01"}
    return TransferCreated(user_id=USER, transfer=NewTransfer.model_validate({**body, **over}))


def code_of(result: ledger.Result) -> tuple[str, int]:
    assert result.kind == "rejected" and result.rejection is not None
    return result.rejection.code, result.rejection.status


# -- transactions in accounts --------------------------------------------------------------------------------


def test_a_transaction_in_its_account_keeps_the_account_payee_and_splits():
    account = opened()
    splits = [{"category": "food", "amount": "6"}, {"category": "soap", "amount": "4.00"}]
    record = stored_in(account, payee="Corner shop", splits=splits)
    assert (record.account_id, record.payee) == (account.account.id, "Corner shop")
    assert [(s.category, s.amount) for s in record.splits] == [("food", Decimal("6.00")), ("soap", Decimal("4.00"))]


@pytest.mark.parametrize(
    ("setup", "over", "expected"),
    [
        ("foreign", {}, ("not_found", 404)),
        ("closed", {}, ("closed", 409)),
        ("open", {"currency": "USD"}, ("currency_mismatch", 422)),
        ("open", {"date": "2025-12-31"}, ("before_opening", 422)),
    ],
)
def test_a_create_is_rejected_with_the_accounts_reason(setup, over, expected):
    account = opened()
    accounts = {"foreign": ledger.no_accounts, "closed": lookup(closed(account)), "open": lookup(account)}[setup]
    record, result = ledger.create(None, created(account, **over), now_us=1, accounts=accounts)
    assert record is None and code_of(result) == expected


def test_several_refusals_are_told_together_under_the_first_code():
    account = closed(opened())
    _, result = ledger.create(None, created(account, currency="USD"), now_us=1, accounts=lookup(account))
    assert code_of(result) == ("closed", 409)
    assert "closed" in result.rejection.detail and "is in EUR" in result.rejection.detail


def test_moving_a_transaction_checks_the_account_it_moves_to():
    eur, usd = opened(), opened(currency="USD", name="Dollars")
    record = stored_in(eur)
    same, result = ledger.correct(record, update(record, {"account_id": usd.account.id}), accounts=lookup(eur, usd))
    assert same is record and code_of(result) == ("currency_mismatch", 422)
    moved, ok = ledger.correct(record, update(record, {"account_id": None}), accounts=lookup(eur))
    assert ok == ledger.APPLIED and moved.account_id is None


def test_money_in_a_closed_account_stays_until_it_is_reopened_but_its_words_may_change():
    account = opened()
    record = stored_in(account)
    accounts = lookup(closed(account))
    for changes in ({"amount": "11.00"}, {"date": "2026-03-15"}, {"type": "income"}, {"account_id": None}):
        same, result = ledger.correct(record, update(record, changes), accounts=accounts)
        assert same is record and code_of(result) == ("closed", 409), changes
    delete = TransactionDeleted(user_id=USER, transaction_id=uuid.UUID(record.id))
    assert code_of(ledger.delete(record, delete, accounts=accounts)[1]) == ("closed", 409)
    words = {"category": "rent", "description": "x", "tags": ["a"], "payee": "Landlord"}
    changed, ok = ledger.correct(record, update(record, words), accounts=accounts)
    assert ok == ledger.APPLIED and (changed.category, changed.payee) == ("rent", "Landlord")


def test_a_date_moved_before_the_opening_is_rejected():
    account = opened()
    record = stored_in(account)
    _, result = ledger.correct(record, update(record, {"date": "2025-06-30"}), accounts=lookup(account))
    assert code_of(result) == ("before_opening", 422)


def test_splits_sent_alone_must_add_up_to_the_stored_amount():
    account = opened()
    record = stored_in(account)
    parts = [{"category": "a", "amount": "4"}, {"category": "b", "amount": "5.00"}]
    same, result = ledger.correct(record, update(record, {"splits": parts}), accounts=lookup(account))
    assert same is record and code_of(result) == ("invalid", 422) and "add up to 9.00 EUR" in result.rejection.detail
    parts[1]["amount"] = "6"
    split, ok = ledger.correct(record, update(record, {"splits": parts}), accounts=lookup(account))
    assert ok == ledger.APPLIED and [str(s.amount) for s in split.splits] == ["4.00", "6.00"]


def test_an_amount_alone_on_a_split_transaction_must_keep_the_parts_adding_up():
    account = opened()
    record = stored_in(account, splits=[{"category": "a", "amount": "4"}, {"category": "b", "amount": "6"}])
    _, result = ledger.correct(record, update(record, {"amount": "12.00"}), accounts=lookup(account))
    assert code_of(result) == ("invalid", 422)
    unsplit, ok = ledger.correct(record, update(record, {"amount": "12.00", "splits": None}), accounts=lookup(account))
    assert ok == ledger.APPLIED and unsplit.splits == ()


def test_splits_in_more_minor_units_than_the_stored_currency_are_invalid():
    record = stored_in(opened(currency="JPY", opening_balance="0"), amount="1000", currency="JPY")
    _, result = ledger.correct(record, update(record, {"splits": [{"category": "a", "amount": "1000.5"}]}))
    assert code_of(result) == ("invalid", 422) and "split 1" in result.rejection.detail


# -- transfers -------------------------------------------------------------------------------------------------


def test_a_transfer_within_one_currency_states_both_sides():
    a, b = opened(), opened(name="Savings", type="savings")
    record, result = rules.create_transfer(None, transfer(a, b, amount="50.5"), accounts=lookup(a, b), now_us=1)
    assert result == ledger.APPLIED
    assert (record.amount, record.to_amount, record.from_currency, record.to_currency) == (
        Decimal("50.50"),
        Decimal("50.50"),
        "EUR",
        "EUR",
    )
    again, duplicate = rules.create_transfer(record, transfer(a, b, id=record.id), accounts=lookup(a, b), now_us=2)
    assert again is record and duplicate == ledger.DUPLICATE


def test_a_cross_currency_transfer_keeps_each_sides_own_amount():
    eur, usd = opened(), opened(currency="USD", name="Dollars")
    event = transfer(eur, usd, amount="100.00", to_amount="108.66")
    record, result = rules.create_transfer(None, event, accounts=lookup(eur, usd), now_us=1)
    assert result == ledger.APPLIED and (record.amount, record.to_amount) == (Decimal("100.00"), Decimal("108.66"))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("foreign", ("not_found", 404)),
        ("closed", ("closed", 409)),
        ("before_opening", ("before_opening", 422)),
        ("no_to_amount", ("invalid", 422)),
        ("different_to_amount", ("invalid", 422)),
        ("minor_units", ("invalid", 422)),
    ],
)
def test_a_transfer_is_rejected_with_the_reason(case, expected):
    eur, usd, jpy = opened(), opened(currency="USD", name="Dollars"), opened(currency="JPY", opening_balance="0")
    other = opened(name="Other")
    accounts, event = lookup(eur, usd, jpy, other), transfer(eur, other)
    if case == "foreign":
        accounts = lookup(eur)
    elif case == "closed":
        accounts = lookup(eur, closed(other))
    elif case == "before_opening":
        event = transfer(eur, other, date="2025-12-01")
    elif case == "no_to_amount":
        event = transfer(eur, usd)
    elif case == "different_to_amount":
        event = transfer(eur, other, to_amount="51.00")
    elif case == "minor_units":
        event = transfer(eur, jpy, to_amount="7800.5")
    record, result = rules.create_transfer(None, event, accounts=accounts, now_us=1)
    assert record is None and code_of(result) == expected


def test_deleting_a_transfer_takes_both_legs_and_needs_both_accounts_open():
    a, b = opened(), opened(name="Savings")
    record, _ = rules.create_transfer(None, transfer(a, b), accounts=lookup(a, b), now_us=1)
    delete = TransferDeleted(user_id=USER, transfer_id=uuid.UUID(record.id))
    same, result = rules.delete_transfer(record, delete, accounts=lookup(a, closed(b)))
    assert same is record and code_of(result) == ("closed", 409)
    gone, ok = rules.delete_transfer(record, delete, accounts=lookup(a, b))
    assert ok == ledger.APPLIED and gone.deleted and gone.version == 2
    assert code_of(rules.delete_transfer(gone, delete, accounts=lookup(a, b))[1]) == ("not_found", 404)
    stale = TransferDeleted(user_id=USER, transfer_id=uuid.UUID(record.id), expected_version=7)
    assert code_of(rules.delete_transfer(record, stale, accounts=lookup(a, b))[1]) == ("conflict", 412)


# -- accounts and settings -------------------------------------------------------------------------------------


def test_an_account_is_renamed_closed_and_reopened_keeping_currency_and_opening_balance():
    account = opened(type="credit_card", opening_balance="-200.00")
    event_id = uuid.UUID(account.account.id)
    renamed, _ = rules.change_account(
        account, AccountChanged(user_id=USER, account_id=event_id, changes=AccountChanges(name="Visa"))
    )
    shut = closed(renamed)
    reopened, ok = rules.change_account(
        shut, AccountChanged(user_id=USER, account_id=event_id, changes=AccountChanges(closed=False))
    )
    assert ok == ledger.APPLIED and reopened.version == 4 and not reopened.account.closed
    assert (reopened.account.name, reopened.account.opening_balance) == ("Visa", Decimal("-200.00"))
    again, duplicate = rules.open_account(account, AccountOpened(user_id=USER, account=NewAccount.model_validate({
        "id": account.account.id, "name": "x", "type": "cash", "currency": "USD", "opening_balance": "0",
        "opening_date": "2026-01-01"})), now_us=2)  # fmt: skip
    assert again is account and duplicate == ledger.DUPLICATE


def test_changing_an_account_the_user_does_not_have_or_a_stale_version_is_rejected():
    changes = AccountChanges(closed=True)
    unknown = AccountChanged(user_id=USER, account_id=uuid.uuid4(), changes=changes)
    assert code_of(rules.change_account(None, unknown)[1]) == ("not_found", 404)
    account = opened()
    stale = AccountChanged(user_id=USER, account_id=uuid.UUID(account.account.id), changes=changes, expected_version=3)
    _, result = rules.change_account(account, stale)
    assert code_of(result) == ("conflict", 412) and "account changed since version 3" in result.rejection.detail


def test_settings_are_set_again_with_the_next_version():
    first, _ = rules.set_settings(None, SettingsSet(user_id=USER, settings=UserSettings(home_currency="eur")))
    second, _ = rules.set_settings(first, SettingsSet(user_id=USER, settings=UserSettings(home_currency="USD")))
    assert (first.home_currency, first.version, second.home_currency, second.version) == ("EUR", 1, "USD", 2)
