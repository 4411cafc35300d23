"""Accounts, transfers, split transactions and the user's settings, validated once, here, for every entry point.

The checks that need stored accounts (a transfer's currencies, a transaction's account) are pure functions that
return refusals, so storage can end an operation `rejected` with the same words the API would use.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

from shared.domain.fields import Balance, BookingDate, CurrencyCode, Description, PositiveAmount
from shared.domain.money import MoneyError, fit_amount, format_amount

MAX_ACCOUNT_NAME = 100
_NAME = re.compile(r"^[^\x00-\x1f]+$")


class AccountType(StrEnum):
    checking = "checking"
    savings = "savings"
    credit_card = "credit_card"
    cash = "cash"
    investment = "investment"
    loan = "loan"

    @property
    def is_liability(self) -> bool:
        return self in LIABILITIES


# Counted apart in net worth. Balances keep one sign for every type: what is owed is negative.
LIABILITIES = frozenset({AccountType.credit_card, AccountType.loan})


def _clean_name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("name must be a string")
    value = value.strip()
    if not 1 <= len(value) <= MAX_ACCOUNT_NAME or not _NAME.match(value):
        raise ValueError(f"name must be 1-{MAX_ACCOUNT_NAME} characters without control characters")
    return value


_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_ACCOUNT_NAME,
    "pattern": r"^[^\x00-\x1f]*[^\x00-\x20][^\x00-\x1f]*$",
    "examples": ["Current account"],
}
_ID_SCHEMA = {"type": "string", "format": "uuid"}

AccountName = Annotated[str, BeforeValidator(_clean_name), WithJsonSchema(_NAME_SCHEMA)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewAccount(_Strict):
    """An account as a person opens it; the opening balance is the balance at the start of the opening date."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Idempotency key; generated when absent.")
    name: AccountName
    type: AccountType
    currency: CurrencyCode
    opening_balance: Balance
    opening_date: BookingDate

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "type": self.type.value,
            "currency": self.currency,
            "opening_balance": format_amount(self.opening_balance, self.currency),
            "opening_date": self.opening_date.isoformat(),
        }


class AccountChanges(_Strict):
    """A rename, a closing or a reopening; the currency and opening balance never change."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: AccountName | None = None
    closed: StrictBool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> AccountChanges:
        if not self.model_fields_set:
            raise ValueError("a change must name at least one of name, closed")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed, only changed")
        return self

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class NewTransfer(_Strict):
    """Money moved between two of the caller's accounts: neither income nor expense."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Idempotency key; generated when absent.")
    from_account: Annotated[uuid.UUID, WithJsonSchema(_ID_SCHEMA)]
    to_account: Annotated[uuid.UUID, WithJsonSchema(_ID_SCHEMA)]
    amount: PositiveAmount = Field(description="Leaves from_account, in its currency.")
    to_amount: PositiveAmount | None = Field(
        default=None, description="Arrives in to_account, in its currency; required when the currencies differ."
    )
    date: BookingDate
    description: Description = None

    @model_validator(mode="after")
    def _two_accounts(self) -> NewTransfer:
        if self.from_account == self.to_account:
            raise ValueError("a transfer moves money between two different accounts")
        return self

    def arriving(self) -> Decimal:
        """What reaches to_account (the same amount when both accounts share a currency)."""
        return self.amount if self.to_amount is None else self.to_amount

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "from_account": str(self.from_account),
            "to_account": str(self.to_account),
            "amount": format(self.amount, "f"),
            "to_amount": None if self.to_amount is None else format(self.to_amount, "f"),
            "date": self.date.isoformat(),
            "description": self.description,
        }


class UserSettings(_Strict):
    """What a person sets once: the currency reports are converted to by default."""

    home_currency: CurrencyCode


@dataclass(frozen=True, slots=True)
class Account:
    """A stored account, as storage and the balance rules see it."""

    id: str
    name: str
    type: AccountType
    currency: str
    opening_balance: Decimal
    opening_date: dt.date
    closed: bool = False


RefusalCode = Literal["not_found", "closed", "currency_mismatch", "before_opening", "invalid"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why storage ends an operation `rejected`: a code for programs and a sentence for people."""

    code: RefusalCode
    detail: str


def not_yours(account_id: object) -> Refusal:
    """An id the caller has no account by: one refusal, whatever names it (a transaction, a transfer, a budget)."""
    return Refusal("not_found", f"account {account_id} was not found among your accounts")


def check_entry(account: Account | None, *, account_id: str, currency: str, day: dt.date) -> list[Refusal]:
    """Whether a transaction in `currency` dated `day` may be recorded in the caller's account (None: not theirs)."""
    if account is None:
        return [not_yours(account_id)]
    refusals = []
    if account.closed:
        refusals.append(Refusal("closed", f"account {account.name!r} is closed; reopen it to record in it"))
    if currency != account.currency:
        detail = f"account {account.name!r} is in {account.currency}; a {currency} amount cannot be recorded in it"
        refusals.append(Refusal("currency_mismatch", detail))
    if day < account.opening_date:
        detail = f"{day} is before account {account.name!r} opened on {account.opening_date}; move its opening date"
        refusals.append(Refusal("before_opening", detail))
    return refusals


def check_transfer(transfer: NewTransfer, from_account: Account | None, to_account: Account | None) -> list[Refusal]:
    """Every reason the transfer cannot be recorded between these two of the caller's accounts (None: not theirs)."""
    refusals = []
    for account, account_id in ((from_account, transfer.from_account), (to_account, transfer.to_account)):
        if account is None:
            refusals.append(not_yours(account_id))
        elif account.closed:
            refusals.append(Refusal("closed", f"account {account.name!r} is closed; reopen it to transfer"))
        elif transfer.date < account.opening_date:
            detail = f"{transfer.date} is before account {account.name!r} opened on {account.opening_date}"
            refusals.append(Refusal("before_opening", detail))
    if from_account is None or to_account is None:
        return refusals
    same = from_account.currency == to_account.currency
    if not same and transfer.to_amount is None:
        detail = f"to_amount is required: {from_account.currency} leaves and {to_account.currency} arrives"
        refusals.append(Refusal("invalid", detail))
    if same and transfer.to_amount not in (None, transfer.amount):
        detail = f"both accounts are in {from_account.currency}: leave to_amount out, it equals amount"
        refusals.append(Refusal("invalid", detail))
    for field, value, currency in (
        ("amount", transfer.amount, from_account.currency),
        ("to_amount", transfer.to_amount, to_account.currency),
    ):
        if value is not None:
            try:
                fit_amount(value, currency)
            except MoneyError as err:
                refusals.append(Refusal("invalid", f"{field}: {err}"))
    return refusals
