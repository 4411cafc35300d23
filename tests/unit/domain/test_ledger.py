"""The rules of the system of record: each event applied to the record as the previous one left it, in order."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared.domain import ledger
from shared.domain.events import TransactionCreated, TransactionDeleted, TransactionUpdated
from shared.domain.transactions import NewTransaction, TransactionChanges

USER = "alice"


def created(**over) -> TransactionCreated:
    body = {"type": "expense", "amount": "10.00", "currency": "EUR", "category": "food", "date": "2026-03-14"}
    return TransactionCreated(user_id=USER, transaction=NewTransaction.model_validate({**body, **over}))


def stored(**over) -> ledger.Record:
    record, result = ledger.create(None, created(**over), now_us=1)
    assert result == ledger.APPLIED and record is not None
    return record


def update(record: ledger.Record, changes: dict, expected: int | None = None) -> TransactionUpdated:
    return TransactionUpdated(
        user_id=USER,
        transaction_id=uuid.UUID(record.id),
        changes=TransactionChanges.model_validate(changes),
        expected_version=expected,
    )


def test_a_create_records_version_one_and_a_repeat_of_its_id_is_a_duplicate():
    record = stored()
    assert (record.version, record.deleted, record.amount) == (1, False, Decimal("10.00"))
    again, result = ledger.create(record, created(id=record.id), now_us=2)
    assert again is record and result == ledger.DUPLICATE


def test_a_correction_changes_only_the_fields_it_names_and_numbers_the_next_version():
    record = stored(tags=["a"], description="lunch")
    new, result = ledger.correct(record, update(record, {"category": "rent"}))
    assert result == ledger.APPLIED
    assert (new.category, new.description, new.tags, new.amount, new.version) == (
        "rent",
        "lunch",
        ("a",),
        Decimal("10.00"),
        2,
    )


def test_an_amount_alone_keeps_the_stored_currency_and_must_fit_it():
    record = stored(currency="JPY", amount="1500")
    new, result = ledger.correct(record, update(record, {"amount": "1234"}))
    assert result == ledger.APPLIED and (new.amount, new.currency) == (Decimal("1234"), "JPY")
    same, refused = ledger.correct(new, update(new, {"amount": "1234.56"}))
    assert same is new and refused.kind == "rejected" and refused.rejection.code == "invalid"
    assert "JPY amounts have no decimal places" in refused.rejection.detail


def test_clearing_tags_and_description_leaves_them_empty():
    record = stored(tags=["a"], description="x")
    new, _ = ledger.correct(record, update(record, {"tags": None, "description": None}))
    assert (new.tags, new.description) == ((), None)


@pytest.mark.parametrize("apply", [ledger.correct, ledger.delete])
def test_a_change_to_a_record_the_user_does_not_have_is_rejected_not_found(apply):
    event = (
        update(stored(), {"category": "x"})
        if apply is ledger.correct
        else TransactionDeleted(user_id=USER, transaction_id=uuid.uuid4())
    )
    same, result = apply(None, event)
    assert same is None and result.rejection.code == "not_found" and result.rejection.status == 404


def test_a_deleted_record_stays_deleted_and_refuses_corrections():
    record = stored()
    gone, result = ledger.delete(record, TransactionDeleted(user_id=USER, transaction_id=uuid.UUID(record.id)))
    assert result == ledger.APPLIED and gone.deleted and gone.version == 2
    _, late = ledger.correct(gone, update(record, {"category": "x"}))
    assert late.rejection.code == "not_found"


def test_if_match_applies_only_over_the_current_version():
    record = stored()
    v2, ok = ledger.correct(record, update(record, {"category": "a"}, expected=1))
    assert ok == ledger.APPLIED and v2.version == 2
    same, stale = ledger.correct(v2, update(record, {"category": "b"}, expected=1))
    assert same is v2 and stale.rejection.code == "conflict" and stale.rejection.status == 412
    assert "version 1" in stale.rejection.detail and "version 2" in stale.rejection.detail


def test_order_decides_whatever_any_clock_said():
    # Two corrections in broker order: the second one wins, both are applied, versions count 2 and 3.
    record = stored()
    first, _ = ledger.correct(record, update(record, {"amount": "20.00"}))
    second, _ = ledger.correct(first, update(record, {"amount": "30.00"}))
    assert (second.amount, second.version) == (Decimal("30.00"), 3)
    assert second.date == dt.date(2026, 3, 14)
