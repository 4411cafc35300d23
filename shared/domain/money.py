"""Money rules: ISO 4217 currencies and exact decimal amounts with the currency's minor units."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from iso4217 import Currency

# Large enough for any personal budget, small enough for DECIMAL(19, 4) with room for sums.
MAX_AMOUNT = Decimal("1000000000000")
# ASCII digits only: Decimal() would also take "1_000" and non-Latin digits such as "١٢".
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?")


class MoneyError(ValueError):
    """An amount or currency a person must correct."""


def minor_units(code: str) -> int:
    """Fraction digits the currency allows (2 for EUR, 0 for JPY, 3 for KWD)."""
    try:
        exponent = Currency(code).exponent
    except ValueError:
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code") from None
    if exponent is None:  # metals, testing and "no currency" codes
        raise MoneyError(f"{code!r} is not a currency that money can be recorded in")
    return exponent


def normalize_currency(code: object) -> str:
    """Upper-cased ISO 4217 code, refused when unknown."""
    if not isinstance(code, str) or len(code.strip()) != 3:
        raise MoneyError("currency must be a three-letter ISO 4217 code such as EUR")
    code = code.strip().upper()
    minor_units(code)
    return code


def parse_amount(raw: object, currency: str) -> Decimal:
    """A positive amount given as a decimal string, with no more fraction digits than the currency has."""
    if not isinstance(raw, str):
        raise MoneyError('amount must be a decimal string such as "12.50", not a JSON number')
    text = raw.strip()
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise MoneyError(f'amount {raw!r} must be a plain positive decimal such as "12.50"')
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f'amount {raw!r} is not a number; write it like "12.50"') from None
    if not value.is_finite() or value <= 0:
        raise MoneyError("amount must be greater than zero")
    if value >= MAX_AMOUNT:
        raise MoneyError(f"amount must be below {MAX_AMOUNT:,}")
    digits = minor_units(currency)
    fraction = len(text.partition(".")[2])
    if fraction > digits:
        allowed = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
        raise MoneyError(f"{currency} amounts have {allowed}; got {raw!r}")
    return value.quantize(Decimal(1).scaleb(-digits))


def format_amount(value: Decimal, currency: str) -> str:
    """The amount as a string with exactly the currency's minor units ("12.50", "1000")."""
    return str(value.quantize(Decimal(1).scaleb(-minor_units(currency))))
