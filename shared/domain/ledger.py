"""The rules of the system of record, written once: what each event does to a transaction, in broker order.

A user's events reach storage in the order of their partition. Each one is applied to the record as it stands
after the previous one, and numbers the record's next version itself: no clock decides anything. A correction or
deletion of a record the user does not have is rejected as not_found; one sent with a version (If-Match) that is
no longer current is rejected as conflict; an amount that does not fit the currency is rejected as invalid.
A repeated create of an id already recorded is a duplicate: ids are the client's idempotency keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from shared.domain.events import TransactionCreated, TransactionDeleted, TransactionUpdated
from shared.domain.money import MoneyError, check_minor_units
from shared.domain.operations import Rejection, conflict, invalid, not_found


def etag(version: int) -> str:
    """The strong entity tag of a record's version (RFC 9110): what a client sends back as If-Match."""
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class Record:
    """A transaction as the system of record holds it (a deleted one stays, flagged, so its id stays spent)."""

    user_id: str
    id: str
    type: str
    amount: Decimal
    currency: str
    category: str
    description: str | None
    date: dt.date
    tags: tuple[str, ...]
    version: int
    deleted: bool
    recorded_at: int  # µs since the epoch when storage first applied it: the listing's tie-breaker

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.id)


@dataclass(frozen=True, slots=True)
class Result:
    kind: Literal["applied", "duplicate", "rejected"]
    rejection: Rejection | None = None


APPLIED = Result("applied")
DUPLICATE = Result("duplicate")


def rejected(rejection: Rejection) -> Result:
    return Result("rejected", rejection)


def create(current: Record | None, e: TransactionCreated, *, now_us: int) -> tuple[Record | None, Result]:
    if current is not None:
        return current, DUPLICATE
    t = e.transaction
    record = Record(
        user_id=e.user_id,
        id=str(t.id),
        type=t.type.value,
        amount=t.amount,
        currency=t.currency,
        category=t.category,
        description=t.description,
        date=t.date,
        tags=tuple(t.tags),
        version=1,
        deleted=False,
        recorded_at=now_us,
    )
    return record, APPLIED


def correct(current: Record | None, e: TransactionUpdated) -> tuple[Record | None, Result]:
    refusal = _refusal(current, e.expected_version)
    if refusal is not None:
        return current, rejected(refusal)
    assert current is not None
    ch, named = e.changes, e.changes.model_fields_set
    currency = ch.currency if "currency" in named else current.currency
    amount = ch.amount if "amount" in named else current.amount
    try:
        amount = check_minor_units(amount, currency)  # an amount alone must fit the stored currency
    except MoneyError as exc:
        return current, rejected(invalid(str(exc)))
    record = replace(
        current,
        type=ch.type.value if "type" in named else current.type,
        amount=amount,
        currency=currency,
        category=ch.category if "category" in named else current.category,
        description=ch.description if "description" in named else current.description,
        date=ch.date if "date" in named else current.date,
        tags=tuple(ch.tags or ()) if "tags" in named else current.tags,
        version=current.version + 1,
    )
    return record, APPLIED


def delete(current: Record | None, e: TransactionDeleted) -> tuple[Record | None, Result]:
    refusal = _refusal(current, e.expected_version)
    if refusal is not None:
        return current, rejected(refusal)
    assert current is not None
    return replace(current, deleted=True, version=current.version + 1), APPLIED


def _refusal(current: Record | None, expected_version: int | None) -> Rejection | None:
    if current is None or current.deleted:
        return not_found()
    if expected_version is not None and expected_version != current.version:
        return conflict(expected_version, current.version)
    return None
