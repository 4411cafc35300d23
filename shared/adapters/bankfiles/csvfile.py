"""CSV exports, read with the standard library's csv module: delimiter, decimal mark and date order found per file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import islice

from shared.adapters.bankfiles.amounts import decimal_option, detect_decimal, parse_amount
from shared.adapters.bankfiles.csvheaders import ColumnError, map_columns
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

HEADER_SEARCH = 30  # banks put account details above the header: German exports, up to a dozen lines
_DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "|": "|"}


@dataclass(frozen=True)
class CsvOptions:
    """What a person tells about a CSV file; None means: find out from the file."""

    date_format: str | None = None  # "DD.MM.YYYY", "MM/DD/YYYY", "DD/MM/YYYY", "YYYY-MM-DD" (also %d.%m.%Y, ISO)
    delimiter: str | None = None  # ",", ";", tab
    decimal: str | None = None  # "," or "."
    date_column: str | None = None
    amount_column: str | None = None
    debit_column: str | None = None
    credit_column: str | None = None
    description_column: str | None = None
    payee_column: str | None = None
    reference_column: str | None = None
    currency_column: str | None = None

    def mapped(self) -> dict[str, str | None]:
        """Role -> the column name a person gave."""
        return {f.name.removesuffix("_column"): getattr(self, f.name) for f in fields(self) if "column" in f.name}


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for record in reader:
            yield line, record
            line = reader.line_num + 1
    except csv.Error as err:
        raise UnreadableFile(f"line {line}: {err}; check the quotes in that line") from None


def _find_header(text: str, options: CsvOptions) -> tuple[str, int, dict[str, int], int]:
    """Delimiter, header line, role -> column, and the header's width."""
    given = options.delimiter
    if given is not None and given.lower() not in _DELIMITERS:
        raise UnreadableFile(f"delimiter {given!r} must be ',', ';', '|' or tab")
    delimiters = [_DELIMITERS[given.lower()]] if given is not None else [";", "\t", ","]
    head = "".join(islice(io.StringIO(text, newline=""), HEADER_SEARCH))
    best: tuple[str, int, dict[str, int], int] | None = None
    widest: list[str] = []
    missing = None
    for delimiter in delimiters:
        for line, record in _records(head, delimiter):
            widest = max(widest, record, key=len)
            try:
                columns = map_columns(record, options.mapped())
            except ColumnError as err:
                missing = missing or str(err)
                continue
            if columns is not None:
                if best is None or len(record) > best[3]:
                    best = (delimiter, line, columns, len(record))
                break
    if best is not None:
        return best
    found = ", ".join(repr(cell) for cell in widest)
    if missing:
        raise UnreadableFile(f"{missing}, whose columns are {found}")
    raise UnreadableFile(
        f"no header row with a date and an amount column in the first {HEADER_SEARCH} lines (the widest has "
        f"{found}): name the columns with date_column and amount_column, or debit_column and credit_column"
    )


def _signed(cells: list[str], columns: dict[str, int], decimal: str) -> Decimal:
    if "amount" in columns:
        return parse_amount(cells[columns["amount"]], decimal)
    debit_text, credit_text = cells[columns["debit"]].strip(), cells[columns["credit"]].strip()
    debit = parse_amount(debit_text, decimal) if debit_text else None
    credit = parse_amount(credit_text, decimal) if credit_text else None
    if debit is None and credit is None:
        raise ValueError("neither debit nor credit has an amount")
    if debit and credit:
        raise ValueError(f"both debit {debit_text!r} and credit {credit_text!r} have an amount")
    return -abs(debit) if debit else abs(credit or 0)


def parse_csv(data: bytes, options: CsvOptions | None = None) -> ParsedFile:
    """Rows of a bank's CSV export; a row that cannot be read is a RowError, the others still count."""
    options = options or CsvOptions()
    if options.amount_column and (options.debit_column or options.credit_column):
        raise UnreadableFile("map either amount_column or debit_column and credit_column, not both")
    if bool(options.debit_column) != bool(options.credit_column):
        raise UnreadableFile("map debit_column and credit_column together")
    text = decode_text(data)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    delimiter, header_line, columns, width = _find_header(text, options)
    need = max(columns.values()) + 1
    records = [
        (line, cells) for line, cells in _records(text, delimiter) if line > header_line and "".join(cells).strip()
    ]
    complete = [cells for _, cells in records if len(cells) >= need]
    money = [cells[columns[r]] for cells in complete for r in ("amount", "debit", "credit") if r in columns]
    decimal = detect_decimal(money, decimal_option(options.decimal))
    dates = DateReader((cells[columns["date"]] for cells in complete), date_order_option(options.date_format))
    at_payee, at_memo, at_reference, at_currency = (
        columns.get(r) for r in ("payee", "description", "reference", "currency")
    )
    results: list[ParsedRow | RowError] = []
    for line, cells in records:
        if len(cells) < need:
            reason = f"the row has {len(cells)} fields; the header has {width}"
            if spanned := "".join(cells).rstrip("\r\n").count("\n"):  # an unclosed quote swallows the lines after it
                reason += f"; a quoted field runs from line {line} to line {line + spanned}: check its quotes"
            results.append(RowError(line, reason))
            continue
        try:
            date = dates.read(cells[columns["date"]])
            amount = _signed(cells, columns, decimal)
        except ValueError as err:
            results.append(RowError(line, str(err)))
            continue
        payee = cells[at_payee] if at_payee is not None else None
        memo = cells[at_memo] if at_memo is not None else None
        reference = cells[at_reference] if at_reference is not None else None
        currency = cells[at_currency].strip() or None if at_currency is not None else None
        results.append(build_row(line, date, amount, currency, payee, memo, reference))
    rows, errors = split_results(results)
    currencies = {row.currency for row in rows}
    return ParsedFile("csv", rows, errors, currencies.pop() if len(currencies) == 1 else None)
