"""What a person records: transactions and monthly budgets, validated once, here, for every entry point.

Each field type carries its own JSON Schema, so the API document describes exactly what the validators accept.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from iso4217 import Currency
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from shared.domain.calendar import (  # noqa: F401 - FIRST_DATE, LAST_DATE re-exported for the bank-file parsers
    DATE_PATTERN,
    FIRST_DATE,
    LAST_DATE,
    MONTH_PATTERN,
    check_date,
    check_month,
    is_date_text,
)
from shared.domain.money import format_amount, normalize_currency, parse_amount

MAX_BATCH = 1_000
MAX_DESCRIPTION = 500
MAX_TAGS = 20
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


def _date_text(value: object) -> object:
    """Booking dates are plain YYYY-MM-DD strings: no times, no timestamps."""
    if value is None or isinstance(value, dt.date):
        return value
    if not is_date_text(value):
        raise ValueError("date must be a booking date written YYYY-MM-DD")
    return value


def _amount_for_currency(value: object, info: ValidationInfo) -> Decimal:
    """Amounts are checked against the currency validated just before them (field order matters)."""
    currency = info.data.get("currency")
    if currency is None:
        raise ValueError("amount cannot be checked without a valid currency")
    return parse_amount(value, currency)


def _changed_amount(value: object, info: ValidationInfo) -> Decimal:
    """A corrected amount: checked against the currency sent with it, or, alone, against the stored one later."""
    return parse_amount(value, info.data.get("currency"))


_AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?$",
    "examples": ["12.50"],
    "description": "Positive decimal string below 10^12; at most the currency's minor units (EUR 2, JPY 0, KWD 3).",
}
_CURRENCY_SCHEMA = {
    "type": "string",
    "enum": sorted(c.code for c in Currency if c.exponent is not None),
    "examples": ["EUR"],
    "description": "ISO 4217 code of a currency money is recorded in",
}
# No '/', '\\' or control characters; not blank (surrounding spaces are trimmed).
CATEGORY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "pattern": r"^[^\x00-\x1f/\\]*[^\x00-\x20/\\][^\x00-\x1f/\\]*$",
    "examples": ["groceries"],
}
_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": DATE_PATTERN, "examples": ["2026-11-24"]}
_TAGS_SCHEMA = {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": MAX_TAGS}
_DESCRIPTION_SCHEMA = {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION, "pattern": r"^[^\x00]*$"}
MONTH_SCHEMA = {"type": "string", "pattern": MONTH_PATTERN, "examples": ["2026-11"]}

CurrencyCode = Annotated[str, BeforeValidator(normalize_currency), WithJsonSchema(_CURRENCY_SCHEMA)]
Amount = Annotated[Decimal, BeforeValidator(_amount_for_currency), WithJsonSchema(_AMOUNT_SCHEMA)]
ChangedAmount = Annotated[Decimal, BeforeValidator(_changed_amount), WithJsonSchema(_AMOUNT_SCHEMA)]
Category = Annotated[str, BeforeValidator(_clean_category), WithJsonSchema(CATEGORY_SCHEMA)]
Tags = Annotated[list[str], BeforeValidator(_clean_tags), WithJsonSchema(_TAGS_SCHEMA)]
Description = Annotated[str | None, BeforeValidator(_clean_description), WithJsonSchema(_DESCRIPTION_SCHEMA)]
BookingDate = Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(check_date), WithJsonSchema(_DATE_SCHEMA)]
Month = Annotated[str, BeforeValidator(check_month), WithJsonSchema(MONTH_SCHEMA)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class NewTransaction(_Strict):
    """A transaction as a person records it; `id` is the client's idempotency key."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Idempotency key; generated when absent.")
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
    category: Category | None = None
    description: Description = None
    date: BookingDate | None = None
    tags: Tags | None = None

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
            out[name] = value
        return out


class BudgetLimit(_Strict):
    """The body of a budget: the limit and its currency (category and month come from the route)."""

    currency: CurrencyCode
    amount: Amount


class Budget(_Strict):
    """A monthly spending limit for one category."""

    category: Category
    month: Month
    currency: CurrencyCode
    amount: Amount

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "month": self.month,
            "amount": format_amount(self.amount, self.currency),
            "currency": self.currency,
        }
