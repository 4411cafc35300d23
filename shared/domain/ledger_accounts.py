"""The system of record's rules for accounts, transfers and a user's settings, beside ledger.py's for transactions.

Each event is applied over the record as the user's previous events left it, in broker order, and numbers the
record's next version. An account's currency and opening balance never change; closing keeps its history and its
balance (a closed card with debt still owed is real). A transfer is one record with two legs, checked against
both accounts as they stand (`check_transfer`); deleting it removes both legs at once, and is refused while
either account is closed. A budget may name only the caller's own accounts, closed ones too (it may cover a past
month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from shared.domain.accounts import Account, Refusal, check_transfer, not_yours
from shared.domain.events import (
    AccountChanged,
    AccountOpened,
    BudgetSet,
    SettingsSet,
    TransferCreated,
    TransferDeleted,
)
from shared.domain.ledger import APPLIED, DUPLICATE, Accounts, Result, refused, rejected
from shared.domain.money import fit_amount
from shared.domain.operations import Rejection, not_found


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account as the system of record holds it."""

    user_id: str
    account: Account
    version: int
    recorded_at: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.account.id)


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A transfer: `amount` leaves from_account in its currency, `to_amount` reaches to_account in its own."""

    user_id: str
    id: str
    from_account: str
    to_account: str
    amount: Decimal
    to_amount: Decimal
    from_currency: str
    to_currency: str
    date: dt.date
    description: str | None
    version: int
    deleted: bool
    recorded_at: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.id)


@dataclass(frozen=True, slots=True)
class SettingsRecord:
    user_id: str
    home_currency: str
    version: int

    @property
    def key(self) -> str:
        return self.user_id


def open_account(
    current: AccountRecord | None, e: AccountOpened, *, now_us: int
) -> tuple[AccountRecord | None, Result]:
    if current is not None:
        return current, DUPLICATE
    a = e.account
    account = Account(
        id=str(a.id),
        name=a.name,
        type=a.type,
        currency=a.currency,
        opening_balance=a.opening_balance,
        opening_date=a.opening_date,
    )
    return AccountRecord(e.user_id, account, version=1, recorded_at=now_us), APPLIED


def change_account(current: AccountRecord | None, e: AccountChanged) -> tuple[AccountRecord | None, Result]:
    if current is None:
        return current, rejected(not_found("account"))
    if e.expected_version is not None and e.expected_version != current.version:
        return current, rejected(_conflict("account", e.expected_version, current.version))
    ch, named = e.changes, e.changes.model_fields_set
    account = replace(
        current.account,
        name=ch.name if "name" in named else current.account.name,
        closed=ch.closed if "closed" in named else current.account.closed,
    )
    return replace(current, account=account, version=current.version + 1), APPLIED


def create_transfer(
    current: TransferRecord | None, e: TransferCreated, *, accounts: Accounts, now_us: int
) -> tuple[TransferRecord | None, Result]:
    if current is not None:
        return current, DUPLICATE
    t = e.transfer
    source, target = accounts(str(t.from_account)), accounts(str(t.to_account))
    refusals = check_transfer(t, source, target)
    if refusals:
        return None, refused(refusals)
    assert source is not None and target is not None
    record = TransferRecord(
        user_id=e.user_id,
        id=str(t.id),
        from_account=source.id,
        to_account=target.id,
        amount=fit_amount(t.amount, source.currency),
        to_amount=fit_amount(t.arriving(), target.currency),  # within one currency: the amount, so rows say both
        from_currency=source.currency,
        to_currency=target.currency,
        date=t.date,
        description=t.description,
        version=1,
        deleted=False,
        recorded_at=now_us,
    )
    return record, APPLIED


def delete_transfer(
    current: TransferRecord | None, e: TransferDeleted, *, accounts: Accounts
) -> tuple[TransferRecord | None, Result]:
    if current is None or current.deleted:
        return current, rejected(not_found("transfer"))
    if e.expected_version is not None and e.expected_version != current.version:
        return current, rejected(_conflict("transfer", e.expected_version, current.version))
    closed = [
        Refusal("closed", f"account {a.name!r} is closed; reopen it to take the transfer out of it")
        for a in (accounts(current.from_account), accounts(current.to_account))
        if a is not None and a.closed
    ]
    if closed:
        return current, refused(closed)
    return replace(current, deleted=True, version=current.version + 1), APPLIED


def check_budget(e: BudgetSet, *, accounts: Accounts) -> Result:
    """Whether the budget may be set: every account it names is one of the caller's (open or closed)."""
    missing = [not_yours(a) for a in e.budget.account_ids() or () if accounts(a) is None]
    return refused(missing) if missing else APPLIED


def set_settings(current: SettingsRecord | None, e: SettingsSet) -> tuple[SettingsRecord, Result]:
    version = 1 if current is None else current.version + 1
    return SettingsRecord(e.user_id, e.settings.home_currency, version), APPLIED


def _conflict(what: str, expected: int, current: int) -> Rejection:
    return Rejection(
        "conflict",
        412,
        f"The {what} changed since version {expected} was read; it is at version {current}. "
        "Read it again and send the change with its current ETag.",
    )
