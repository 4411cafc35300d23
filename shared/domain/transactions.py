"""What a person records: transactions and monthly budgets, validated once, here, for every entry point."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.domain.money import format_amount, normalize_currency, parse_amount

MAX_BATCH = 1_000
MAX_DESCRIPTION = 500
MAX_TAGS = 20
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # booking dates, and periods asked about
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CATEGORY_RE = re.compile(r"^[^\x00-\x1f/\\]+$")


class Kind(StrEnum):
    income = "income"
    expense = "expense"


def _clean_category(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("category must be a string")
    value = value.strip()
    if not 1 <= len(value) <= 64 or not _CATEGORY_RE.match(value):
        raise ValueError("category must be 1-64 characters, without '/', '\\' or control characters")
    return value


def _clean_tags(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError("tags must be a list of strings")
    tags = list(dict.fromkeys(t.strip() for t in value if t.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > 32 for t in tags):
        raise ValueError(f"at most {MAX_TAGS} tags of up to 32 characters each")
    return tags


def _clean_description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("description must be a string")
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(f"description has {len(value)} characters; the limit is {MAX_DESCRIPTION}")
    if "\x00" in value:
        raise ValueError("description must not contain NUL characters")
    return value


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_text(value: object) -> object:
    """Booking dates are plain YYYY-MM-DD strings: no times, no timestamps."""
    if value is None or isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("date must be a booking date written YYYY-MM-DD")
    return value


def _check_date(value: dt.date) -> dt.date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"date must be between {FIRST_DATE} and {LAST_DATE}")
    return value


def _amount_for_currency(value: object, info: ValidationInfo) -> Decimal:
    """Amounts are checked against the currency validated just before them (field order matters)."""
    currency = info.data.get("currency")
    if currency is None:
        raise ValueError("amount cannot be checked without a valid currency")
    return parse_amount(value, currency)


CurrencyCode = Annotated[str, BeforeValidator(normalize_currency)]
Amount = Annotated[Decimal, BeforeValidator(_amount_for_currency)]
Category = Annotated[str, BeforeValidator(_clean_category)]
Tags = Annotated[list[str], BeforeValidator(_clean_tags)]
Description = Annotated[str | None, BeforeValidator(_clean_description)]
BookingDate = Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(_check_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class NewTransaction(_Strict):
    """A transaction as a person records it; `id` is the client's idempotency key."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: Kind
    currency: CurrencyCode
    amount: Amount
    category: Category
    description: Description = None
    date: BookingDate
    tags: Tags = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type.value,
            "amount": format_amount(self.amount, self.currency),
            "currency": self.currency,
            "category": self.category,
            "description": self.description,
            "date": self.date.isoformat(),
            "tags": list(self.tags),
        }


class TransactionChanges(_Strict):
    """A correction: any of the fields; amount and currency travel together."""

    type: Kind | None = None
    currency: CurrencyCode | None = None
    amount: Amount | None = None
    category: Category | None = None
    description: Description = None
    date: BookingDate | None = None
    tags: Tags | None = None

    @model_validator(mode="before")
    @classmethod
    def _money(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if ("amount" in data) != ("currency" in data):
            raise ValueError('amount and currency must be changed together, e.g. {"amount": "9.90", "currency": "EUR"}')
        return data

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
                value = format_amount(value, self.currency or "")
            elif name == "type":
                value = value.value
            elif name == "date":
                value = value.isoformat()
            out[name] = value
        return out


class Budget(_Strict):
    """A monthly spending limit for one category."""

    category: Category
    month: str
    currency: CurrencyCode
    amount: Amount

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not MONTH_RE.match(value):
            raise ValueError("month must be YYYY-MM, e.g. 2026-11")
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "month": self.month,
            "amount": format_amount(self.amount, self.currency),
            "currency": self.currency,
        }
