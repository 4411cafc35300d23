"""What a person records: transactions and monthly budgets, validated once, here, for every entry point.

Each field type (shared/domain/fields.py) carries its own JSON Schema, so the API document describes exactly what
the validators accept.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.calendar import FIRST_DATE, LAST_DATE  # noqa: F401 - re-exported for the bank-file parsers
from shared.domain.fields import (  # noqa: F401 - the field types, re-exported for the modules that name them here
    CATEGORY_SCHEMA,
    MAX_DESCRIPTION,
    MAX_PAYEE,
    MAX_TAGS,
    MONTH_SCHEMA,
    Amount,
    BookingDate,
    BudgetAccounts,
    Category,
    ChangedAmount,
    CurrencyCode,
    Description,
    Month,
    Payee,
    Tags,
)
from shared.domain.money import format_amount
from shared.domain.splits import Split, Splits, SplitsChange

MAX_BATCH = 1_000


class Kind(StrEnum):
    income = "income"
    expense = "expense"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class NewTransaction(_Strict):
    """A transaction as a person records it; `id` is the client's idempotency key."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Idempotency key; generated when absent.")
    type: Kind
    currency: CurrencyCode
    amount: Amount
    splits: Splits = Field(default_factory=list)  # after amount and currency: the parts are checked against them
    category: Category
    description: Description = None
    date: BookingDate
    tags: Tags = Field(default_factory=list)
    account_id: uuid.UUID | None = Field(None, description="One of your accounts, in the same currency.")
    payee: Payee = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": str(self.id),
            "type": self.type.value,
            "amount": format_amount(self.amount, self.currency),
            "currency": self.currency,
            "category": self.category,
            "description": self.description,
            "date": self.date.isoformat(),
            "tags": list(self.tags),
        }
        # Only when set: a plain transaction's event stays readable by consumers that predate accounts.
        if self.splits:
            out["splits"] = [s.to_json(self.currency) for s in self.splits]
        if self.account_id is not None:
            out["account_id"] = str(self.account_id)
        if self.payee is not None:
            out["payee"] = self.payee
        return out


class NewBatch(_Strict):
    """Up to MAX_BATCH transactions, validated whole: one invalid item refuses the batch."""

    transactions: list[NewTransaction] = Field(min_length=1, max_length=MAX_BATCH)


class TransactionChanges(_Strict):
    """A correction: any subset of the fields. An amount alone keeps the stored currency (storage checks it fits
    that currency's minor units); a currency alone keeps the stored amount."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    type: Kind | None = None
    currency: CurrencyCode | None = None
    amount: ChangedAmount | None = None
    splits: SplitsChange | None = Field(None, description="The new parts; [] or null: no longer split.")
    category: Category | None = None
    description: Description = None
    date: BookingDate | None = None
    tags: Tags | None = None
    account_id: uuid.UUID | None = Field(None, description="Move it to this account of yours; null: to none.")
    payee: Payee = None

    @model_validator(mode="after")
    def _not_empty(self) -> TransactionChanges:
        if not self.model_fields_set:
            raise ValueError("a correction must change at least one field")
        for name in ("type", "amount", "currency", "category", "date"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed, only changed")
        return self

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "amount":
                value = format_amount(value, self.currency) if self.currency else str(value)
            elif name == "type":
                value = value.value
            elif name == "date":
                value = value.isoformat()
            elif name == "account_id" and value is not None:
                value = str(value)
            elif name == "splits":  # without a currency, as written: storage checks them against the stored one
                value = [s.to_json(self.currency) if self.currency else _as_written(s) for s in value or ()]
            out[name] = value
        return out


def _as_written(split: Split) -> dict[str, Any]:
    return {"category": split.category, "amount": format(split.amount, "f"), "description": split.description}


class BudgetLimit(_Strict):
    """The body of a budget: the limit and its currency (category and month come from the route), and the accounts
    whose expenses it counts (none named: every expense)."""

    currency: CurrencyCode
    amount: Amount
    accounts: BudgetAccounts = None


class Budget(_Strict):
    """A monthly spending limit for one category."""

    category: Category
    month: Month
    currency: CurrencyCode
    amount: Amount
    accounts: BudgetAccounts = None  # sorted; None: a global budget, every expense counts

    def account_ids(self) -> list[str] | None:
        return None if self.accounts is None else [str(a) for a in self.accounts]

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "month": self.month,
            "amount": format_amount(self.amount, self.currency),
            "currency": self.currency,
            "accounts": self.account_ids(),
        }
