"""Bank statement files (CSV, OFX/QFX, QIF, camt.053) read into signed, checked rows; nothing here stores anything."""

from __future__ import annotations

from shared.adapters.bankfiles.camt053 import parse_camt053
from shared.adapters.bankfiles.csvfile import CsvOptions, parse_csv
from shared.adapters.bankfiles.detect import FORMATS, detect_format
from shared.adapters.bankfiles.ofx import parse_ofx
from shared.adapters.bankfiles.qif import parse_qif
from shared.adapters.bankfiles.rows import ParsedFile, ParsedRow, RowError, UnreadableFile

__all__ = [
    "FORMATS",
    "CsvOptions",
    "ParsedFile",
    "ParsedRow",
    "RowError",
    "UnreadableFile",
    "detect_format",
    "parse",
]

_SPELLINGS = {"qfx": "ofx", "camt.053": "camt053", "camt": "camt053"}


def parse(data: bytes, *, format: str = "auto", csv: CsvOptions | None = None) -> ParsedFile:
    """The file's rows and row errors; UnreadableFile when the file as a whole cannot be read.

    `csv` also carries date_format and decimal for QIF, whose dates and amounts say neither.
    """
    name = format.strip().lower()
    name = detect_format(data) if name == "auto" else _SPELLINGS.get(name, name)
    options = csv or CsvOptions()
    if name == "csv":
        return parse_csv(data, options)
    if name == "ofx":
        return parse_ofx(data)
    if name == "qif":
        return parse_qif(data, date_format=options.date_format, decimal=options.decimal)
    if name == "camt053":
        return parse_camt053(data)
    raise UnreadableFile(f"format {format!r} must be auto, {', '.join(FORMATS)}")
