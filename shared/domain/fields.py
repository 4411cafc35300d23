"""The field types of what a person records, each with its own JSON Schema, so the API document describes exactly
what the validators accept. Transactions, budgets, accounts and splits all build on them."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated

from iso4217 import Currency
from pydantic import AfterValidator, BeforeValidator, ValidationInfo, WithJsonSchema

from shared.domain.calendar import DATE_PATTERN, MONTH_PATTERN, check_date, check_month, is_date_text
from shared.domain.money import normalize_currency, parse_amount

MAX_DESCRIPTION = 500
MAX_TAGS = 20
_CATEGORY_RE = re.compile(r"^[^\x00-\x1f/\\]+$")
MAX_PAYEE = 200
MAX_BUDGET_ACCOUNTS = 20
_PAYEE_RE = re.compile(r"^[^\x00-\x1f]+$")


def _clean_category(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("category must be a string")
    value = value.strip()
    if not 1 <= len(value) <= 64 or not _CATEGORY_RE.match(value):
        raise ValueError("category must be 1-64 characters, without '/', '\\' or control characters")
    return value


def _budget_accounts(value: object) -> tuple[uuid.UUID, ...] | None:
    """An account set: 1 to MAX_BUDGET_ACCOUNTS distinct ids, kept sorted (the set, not the order, is the budget's)."""
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise ValueError("accounts must be a list of account ids, or null for every account")
    try:
        ids = [v if isinstance(v, uuid.UUID) else uuid.UUID(v) for v in value]
    except (TypeError, ValueError, AttributeError):
        raise ValueError("accounts must hold account ids (UUIDs)") from None
    if not 1 <= len(ids) <= MAX_BUDGET_ACCOUNTS:
        raise ValueError(f"accounts must name 1 to {MAX_BUDGET_ACCOUNTS} accounts, or be null for every account")
    if len(set(ids)) != len(ids):
        raise ValueError("accounts must not name an account twice")
    return tuple(sorted(ids, key=str))


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


def _clean_payee(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("payee must be a string")
    value = value.strip()
    if not 1 <= len(value) <= MAX_PAYEE or not _PAYEE_RE.match(value):
        raise ValueError(f"payee must be 1-{MAX_PAYEE} characters without control characters")
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


def _positive_amount(value: object) -> Decimal:
    """A positive amount whose currency is the account's, checked once the account is known (transfers, splits)."""
    return parse_amount(value, None)


def _balance_for_currency(value: object, info: ValidationInfo) -> Decimal:
    """A balance may be negative (what is owed) or zero; checked against the currency validated just before it."""
    currency = info.data.get("currency")
    if currency is None:
        raise ValueError("the balance cannot be checked without a valid currency")
    return parse_amount(value, currency, signed=True, zero=True)


_AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?$",
    "examples": ["12.50"],
    "description": "Positive decimal string below 10^12; at most the currency's minor units (EUR 2, JPY 0, KWD 3).",
}
_BALANCE_SCHEMA = {
    "type": "string",
    "pattern": r"^-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?$",
    "examples": ["-1200.50"],
    "description": "Signed decimal string below 10^12 in size; at most the currency's minor units.",
}
_BUDGET_ACCOUNTS_SCHEMA = {
    "type": ["array", "null"],
    "items": {"type": "string", "format": "uuid"},
    "minItems": 1,
    "maxItems": MAX_BUDGET_ACCOUNTS,
    "uniqueItems": True,
    "description": "Count only expenses booked in these accounts of yours; absent or null: every expense.",
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
_PAYEE_SCHEMA = {
    "type": ["string", "null"],
    "minLength": 1,
    "maxLength": MAX_PAYEE,
    "pattern": r"^[^\x00-\x1f]*[^\x00-\x20][^\x00-\x1f]*$",
    "examples": ["Corner Bakery"],
}

CurrencyCode = Annotated[str, BeforeValidator(normalize_currency), WithJsonSchema(_CURRENCY_SCHEMA)]
Amount = Annotated[Decimal, BeforeValidator(_amount_for_currency), WithJsonSchema(_AMOUNT_SCHEMA)]
ChangedAmount = Annotated[Decimal, BeforeValidator(_changed_amount), WithJsonSchema(_AMOUNT_SCHEMA)]
PositiveAmount = Annotated[Decimal, BeforeValidator(_positive_amount), WithJsonSchema(_AMOUNT_SCHEMA)]
Balance = Annotated[Decimal, BeforeValidator(_balance_for_currency), WithJsonSchema(_BALANCE_SCHEMA)]
Category = Annotated[str, BeforeValidator(_clean_category), WithJsonSchema(CATEGORY_SCHEMA)]
Tags = Annotated[list[str], BeforeValidator(_clean_tags), WithJsonSchema(_TAGS_SCHEMA)]
Description = Annotated[str | None, BeforeValidator(_clean_description), WithJsonSchema(_DESCRIPTION_SCHEMA)]
BookingDate = Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(check_date), WithJsonSchema(_DATE_SCHEMA)]
Month = Annotated[str, BeforeValidator(check_month), WithJsonSchema(MONTH_SCHEMA)]
Payee = Annotated[str | None, BeforeValidator(_clean_payee), WithJsonSchema(_PAYEE_SCHEMA)]
BudgetAccounts = Annotated[
    tuple[uuid.UUID, ...] | None, BeforeValidator(_budget_accounts), WithJsonSchema(_BUDGET_ACCOUNTS_SCHEMA)
]
