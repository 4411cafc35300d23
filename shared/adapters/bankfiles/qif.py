"""QIF bank, credit-card and cash accounts (!Type:Bank, !Type:CCard, !Type:Cash), read line by line.

quiffen 4.0.1 (PyPI) was tried first and is not used: it turns "T-12,50" into -1250 (it drops every character
but digits, '.' and '-', so a decimal comma silently multiplies by 100), one bad date refuses the whole file,
and its record line numbers drift after blank lines. It also caps Python below 3.14. QIF is a line format
with one letter per field, so a careful reader is short; dates and amounts share the CSV rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.adapters.bankfiles.amounts import decimal_option, detect_decimal, parse_amount
from shared.adapters.bankfiles.dates import DateReader, date_order_option
from shared.adapters.bankfiles.rows import (
    ParsedFile,
    ParsedRow,
    RowError,
    UnreadableFile,
    build_row,
    decode_text,
    split_results,
)

ACCOUNT_TYPES = ("bank", "ccard", "cash")
_DIGIT = re.compile(r"\d")


@dataclass
class _Record:
    line: int
    section: str
    account: str | None
    fields: dict[str, str] = field(default_factory=dict)


def _records(text: str) -> list[_Record]:
    """Every record (fields up to '^') with its first line, its !Type section and its !Account."""
    records: list[_Record] = []
    section: str | None = None
    account: str | None = None
    record: _Record | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            header = line[1:].replace(" ", "").lower()
            if not header.startswith(("option:", "clear:")):
                section = "account" if header.startswith("account") else header.removeprefix("type:")
            record = None
            continue
        if section is None:
            raise UnreadableFile(f"line {number}: a QIF file starts with a line such as !Type:Bank")
        if line.startswith("^"):
            if record is not None and record.section == "account":
                account = record.fields.get("N", account)
            record = None
            continue
        if record is None:
            record = _Record(number, section, account)
            records.append(record)
        # Split lines (S, E, $) and address lines (A) repeat; the first of each field is the record's own.
        record.fields.setdefault(line[0], line[1:].strip())
    return records


def _row(record: _Record, dates: DateReader, decimal: str) -> ParsedRow | RowError:
    fields = record.fields
    amount_text = fields.get("U") if fields.get("T") is None else fields["T"]
    if "D" not in fields:
        return RowError(record.line, "the record has no date (a D line)")
    if amount_text is None:
        return RowError(record.line, "the record has no amount (a T line)")
    try:
        date = dates.read(fields["D"])
        amount = parse_amount(amount_text, decimal)
    except ValueError as err:
        return RowError(record.line, str(err))
    # N holds a cheque number or a bank id, but also words such as ATM, DEP or EFT that repeat every month:
    # only a value with a digit in it can be the bank's reference.
    number = fields.get("N")
    reference = number if number and _DIGIT.search(number) else None
    return build_row(record.line, date, amount, None, fields.get("P"), fields.get("M"), reference)


def parse_qif(data: bytes, *, date_format: str | None = None, decimal: str | None = None) -> ParsedFile:
    """Rows of the one bank, credit-card or cash account in a QIF file."""
    text = decode_text(data)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    records = _records(text)
    bookings = [r for r in records if r.section in ACCOUNT_TYPES]
    if not bookings:
        found = sorted({r.section for r in records} - {"account"}) or ["no records"]
        raise UnreadableFile(
            f"the QIF file has no bank, credit-card or cash account (found {', '.join(found)}): "
            "export a Bank, CCard or Cash account"
        )
    accounts = {r.account for r in bookings}
    if len(accounts) > 1:
        raise UnreadableFile(f"the QIF file holds {len(accounts)} accounts: export one account per file")
    amounts = (r.fields.get("T") or r.fields.get("U") or "" for r in bookings)
    separator = detect_decimal(amounts, decimal_option(decimal))
    dates = DateReader((r.fields.get("D", "") for r in bookings), date_order_option(date_format))
    rows, errors = split_results([_row(record, dates, separator) for record in bookings])
    return ParsedFile(format="qif", rows=rows, errors=errors, currency=None)
