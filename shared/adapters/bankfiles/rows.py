"""What every bank-file parser returns, and the row rules they all share (amount, date, text)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from shared.domain.money import MAX_AMOUNT, MoneyError, minor_units, normalize_currency
from shared.domain.transactions import FIRST_DATE, LAST_DATE, MAX_DESCRIPTION


class UnreadableFile(ValueError):
    """The whole file cannot be read; the message says what to do about it."""


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One booking as the bank wrote it; amount is signed (negative = money out)."""

    line: int
    date: dt.date
    amount: Decimal
    currency: str | None
    payee: str | None
    memo: str | None
    reference: str | None


@dataclass(frozen=True, slots=True)
class RowError:
    """A record that could not be read, by the line where it starts."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    """The readable rows, the unreadable ones, and the statement's currency if the file names one."""

    format: str
    rows: list[ParsedRow]
    errors: list[RowError]
    currency: str | None


# NUL goes; other control characters (tabs, line breaks inside quoted fields) become spaces.
_CONTROLS = {0: None} | {code: " " for code in [*range(1, 32), 127]}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: str | None) -> str | None:
    """Trimmed text with runs of spaces collapsed, cut to the description limit; None when empty."""
    if not value:
        return None
    if _CONTROL.search(value):  # rare: translate with a table is slow, so only when needed
        value = value.translate(_CONTROLS)
    text = " ".join(value.split())
    return text[:MAX_DESCRIPTION].rstrip() or None


@lru_cache(maxsize=64)
def _quantum(currency: str) -> tuple[str, Decimal]:
    code = normalize_currency(currency)
    return code, Decimal(1).scaleb(-minor_units(code))


def build_row(
    line: int,
    date: dt.date,
    amount: Decimal,
    currency: str | None,
    payee: str | None,
    memo: str | None,
    reference: str | None,
) -> ParsedRow | RowError:
    """A checked row, or the reason it cannot be imported."""
    if not amount.is_finite():
        return RowError(line, f"amount {amount} is not a number")
    if amount == 0:
        return RowError(line, "amount is zero: a booking needs an amount")
    if abs(amount) >= MAX_AMOUNT:
        return RowError(line, f"amount {amount} is too large: amounts must be below {MAX_AMOUNT:,}")
    if currency is not None:
        try:
            currency, quantum = _quantum(currency)
        except MoneyError as err:
            return RowError(line, str(err))
        exact = amount.quantize(quantum)
        if exact != amount:
            digits = -quantum.as_tuple().exponent
            allowed = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
            return RowError(line, f"amount {amount}: {currency} amounts have {allowed}")
        amount = exact
    if not FIRST_DATE <= date <= LAST_DATE:
        return RowError(line, f"date {date.isoformat()} is outside {FIRST_DATE.isoformat()}..{LAST_DATE.isoformat()}")
    reference = clean_text(reference)
    return ParsedRow(line, date, amount, currency, clean_text(payee), clean_text(memo), reference)


def split_results(results: list[ParsedRow | RowError]) -> tuple[list[ParsedRow], list[RowError]]:
    """Rows and errors apart, each in file order."""
    rows = [r for r in results if isinstance(r, ParsedRow)]
    errors = [r for r in results if isinstance(r, RowError)]
    return rows, errors


def decode_text(data: bytes) -> str:
    """Text of a CSV or QIF file: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252, else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Files called "Latin-1" are nearly always Windows-1252 (the euro sign is 0x80);
    # it leaves five bytes undefined, and Latin-1 reads every byte.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")
