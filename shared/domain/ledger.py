"""The rules of the system of record, written once: what each event does to a transaction, in broker order.

A user's events reach storage in the order of their partition. Each one is applied to the record as it stands
after the previous one, and numbers the record's next version itself: no clock decides anything. A correction or
deletion of a record the user does not have is rejected as not_found; one sent with a version (If-Match) that is
no longer current is rejected as conflict; an amount that does not fit the currency is rejected as invalid.
A repeated create of an id already recorded is a duplicate: ids are the client's idempotency keys.

A transaction in an account is checked against the account as this user's events so far left it (`accounts`
looks one up by id; None: not theirs): its currency and opening date, and that it is open. Money in a closed
account stays as it is until the account is reopened; what moves no money (category, description, tags, payee,
splits) may still be corrected. Splits sent without an amount and a currency are checked here, against the
record's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from shared.domain.accounts import Account, Refusal, check_entry
from shared.domain.events import TransactionCreated, TransactionDeleted, TransactionUpdated
from shared.domain.money import MoneyError, check_minor_units, fit_amount
from shared.domain.operations import Rejection, conflict, invalid, not_found
from shared.domain.splits import Split, check_splits

Accounts = Callable[[str], Account | None]  # the user's own account by id, as their events so far left it
_MOVES_MONEY = frozenset({"type", "amount", "currency", "date", "account_id"})
_STATUS = {"not_found": 404, "closed": 409, "currency_mismatch": 422, "before_opening": 422, "invalid": 422}


def no_accounts(_account_id: str) -> Account | None:
    return None


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
    account_id: str | None = None
    payee: str | None = None
    splits: tuple[Split, ...] = ()
    import_ref: str | None = None  # the bank row it stands for (shared/domain/ledger_imports.py); None: hand-entered

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.id)


@dataclass(frozen=True, slots=True)
class Result:
    kind: Literal["applied", "duplicate", "rejected"]
    rejection: Rejection | None = None
    linked: bool = False  # applied by linking a bank row to a hand-entered transaction (an import's `matched`)


APPLIED = Result("applied")
DUPLICATE = Result("duplicate")


def rejected(rejection: Rejection) -> Result:
    return Result("rejected", rejection)


def refused(refusals: Sequence[Refusal]) -> Result:
    """The operation's rejection for the domain's refusals: the first one's code, every reason in the detail."""
    code = refusals[0].code
    return rejected(Rejection(code, _STATUS[code], "; ".join(r.detail for r in refusals)))


def create(
    current: Record | None, e: TransactionCreated, *, now_us: int, accounts: Accounts = no_accounts
) -> tuple[Record | None, Result]:
    if current is not None:
        return current, DUPLICATE
    t = e.transaction
    if t.account_id is not None:  # the splits were checked at the edge, against the amount sent with them
        account_id = str(t.account_id)
        refusals = check_entry(accounts(account_id), account_id=account_id, currency=t.currency, day=t.date)
        if refusals:
            return None, refused(refusals)
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
        account_id=_text(t.account_id),
        payee=t.payee,
        splits=tuple(t.splits),
    )
    return record, APPLIED


def correct(
    current: Record | None, e: TransactionUpdated, *, accounts: Accounts = no_accounts
) -> tuple[Record | None, Result]:
    refusal = _refusal(current, e.expected_version)
    if refusal is not None:
        return current, rejected(refusal)
    assert current is not None
    ch, named = e.changes, e.changes.model_fields_set
    moves = bool(named & _MOVES_MONEY)
    if moves and (closed := _closed(current, accounts)):
        return current, refused([closed])
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
        account_id=_text(ch.account_id) if "account_id" in named else current.account_id,
        payee=ch.payee if "payee" in named else current.payee,
        splits=tuple(ch.splits or ()) if "splits" in named else current.splits,
    )
    refusals = []
    if moves and record.account_id is not None:
        account = accounts(record.account_id)
        refusals += check_entry(account, account_id=record.account_id, currency=currency, day=record.date)
    if record.splits and named & {"splits", "amount", "currency"}:  # only here are amount and parts both known
        refusals += check_splits(record.splits, amount, currency)
    if refusals:
        return current, refused(refusals)
    if "splits" in named:  # kept in the currency's minor units, as a create keeps them
        record = replace(
            record, splits=tuple(s.model_copy(update={"amount": fit_amount(s.amount, currency)}) for s in record.splits)
        )
    return record, APPLIED


def delete(
    current: Record | None, e: TransactionDeleted, *, accounts: Accounts = no_accounts
) -> tuple[Record | None, Result]:
    refusal = _refusal(current, e.expected_version)
    if refusal is not None:
        return current, rejected(refusal)
    assert current is not None
    if closed := _closed(current, accounts):
        return current, refused([closed])
    return replace(current, deleted=True, version=current.version + 1), APPLIED


def _text(account_id: object) -> str | None:
    return None if account_id is None else str(account_id)


def _closed(current: Record, accounts: Accounts) -> Refusal | None:
    """Why the money of this record cannot move: its account is closed (None: it can)."""
    account = None if current.account_id is None else accounts(current.account_id)
    if account is None or not account.closed:
        return None
    return Refusal("closed", f"account {account.name!r} is closed; reopen it to change the money recorded in it")


def _refusal(current: Record | None, expected_version: int | None) -> Rejection | None:
    if current is None or current.deleted:
        return not_found()
    if expected_version is not None and expected_version != current.version:
        return conflict(expected_version, current.version)
    return None
