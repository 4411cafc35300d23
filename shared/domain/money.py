"""Money rules: ISO 4217 currencies and exact decimal amounts with the currency's minor units."""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from iso4217 import Currency

# Large enough for any personal budget, small enough for DECIMAL(19, 4) with room for sums.
MAX_AMOUNT = Decimal("1000000000000")
MAX_MINOR_UNITS = 4  # CLF and UYW: no currency has more; the store keeps 4 fraction digits
# ASCII digits only: Decimal() would also take "1_000" and non-Latin digits such as "١٢".
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?")


class MoneyError(ValueError):
    """An amount or currency a person must correct."""


@functools.lru_cache(maxsize=512)  # every amount in and out asks; the enum lookup was ~0.6 µs a call
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


def parse_amount(raw: object, currency: str | None, *, signed: bool = False, zero: bool = False) -> Decimal:
    """An amount given as a decimal string, with no more fraction digits than the currency has: the one rule for
    every amount the product takes. Positive unless `signed` (a bank row, a balance), never zero unless `zero`
    (an opening balance).

    Without a currency (a correction of the amount alone, a bank row from a file that names none) only the form
    is checked here, up to the 4 fraction digits any currency may have; `check_minor_units` then checks it against
    the stored currency.
    """
    example = '"-12.50"' if signed else '"12.50"'
    if not isinstance(raw, str):
        raise MoneyError(f"amount must be a decimal string such as {example}, not a JSON number")
    text = raw.strip()
    magnitude = text.removeprefix("-") if signed else text
    if not _PLAIN_DECIMAL.fullmatch(magnitude):
        kind = "decimal" if signed else "positive decimal"
        raise MoneyError(f"amount {raw!r} must be a plain {kind} such as {example}")
    try:
        value = Decimal(magnitude)
    except InvalidOperation:
        raise MoneyError(f"amount {raw!r} is not a number; write it like {example}") from None
    if not value.is_finite() or (value == 0 and not zero):
        raise MoneyError("amount must not be zero" if signed else "amount must be greater than zero")
    if value >= MAX_AMOUNT:
        raise MoneyError(f"amount must be below {MAX_AMOUNT:,}" + (" in size" if signed else ""))
    if text.startswith("-") and value:
        value = -value  # "-0" is zero, never a negative zero that would print as "-0.00"
    if currency is None:
        if len(magnitude.partition(".")[2]) > MAX_MINOR_UNITS:
            raise MoneyError(f"amount {raw!r} has more than {MAX_MINOR_UNITS} decimal places")
        return value  # its exponent keeps the digits as written, for check_minor_units
    return check_minor_units(value, currency, shown=raw)


def fit_amount(amount: Decimal, currency: str) -> Decimal:
    """A parsed amount checked against the currency's minor units and size (MoneyError when it does not fit)."""
    return parse_amount(format(amount, "f"), currency, signed=amount < 0)


def check_minor_units(value: Decimal, currency: str, *, shown: object = None) -> Decimal:
    """The amount quantized to the currency's minor units, or MoneyError when it was written with more fraction
    digits than the currency has (even zeros: "12.0" is not a JPY amount)."""
    digits = minor_units(currency)
    if -int(value.as_tuple().exponent) > digits:
        allowed = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
        raise MoneyError(f"{currency} amounts have {allowed}; got {str(shown if shown is not None else value)!r}")
    return value.quantize(Decimal(1).scaleb(-digits))


def quantize(value: Decimal, currency: str) -> Decimal:
    """A stored amount (DECIMAL(19, 4) keeps 4 fraction digits) with exactly the currency's minor units."""
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)))


def format_amount(value: Decimal, currency: str) -> str:
    """The amount as a string with exactly the currency's minor units ("12.50", "1000")."""
    return str(quantize(value, currency))
