"""The ECB's euro reference-rate files, as published: the daily XML (eurofxref-daily.xml; the 90-day and
historical XML have the same shape), the historical CSV (eurofxref-hist.csv) and the zip that holds it.

XML goes through defusedxml with DTDs forbidden: an ECB file never has one, so entity expansion and
external entities are refused before they can cost anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from shared.domain.money import MoneyError, normalize_currency
from shared.domain.rates import Rate

# The whole history since 1999 is about 2 MB of CSV; anything far larger is not an ECB file.
MAX_BYTES = 16 * 1024 * 1024
_GESMES = "{http://www.gesmes.org/xml/2002-08-01}"
_ECB = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
_RATE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NO_RATE = {"", "N/A"}


class RateFileError(ValueError):
    """A rate file that cannot be read, saying where and why."""


@dataclass(frozen=True, slots=True)
class RateFile:
    """The rates read, and the published currencies left out because money cannot be recorded in them."""

    rates: list[Rate]
    ignored: tuple[str, ...]

    def days(self) -> tuple[dt.date, dt.date]:
        """The first and last day with a rate."""
        days = [r.day for r in self.rates]
        return min(days), max(days)


def parse(data: bytes) -> RateFile:
    """Any of the published files, told apart by content: zip, XML or CSV."""
    if len(data) > MAX_BYTES:
        raise RateFileError(f"the file has {len(data):,} bytes; an ECB rate file has far fewer than {MAX_BYTES:,}")
    if data.startswith(b"PK\x03\x04"):
        return parse_zip(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return parse_xml(data)
    return parse_csv(data)


def parse_zip(data: bytes) -> RateFile:
    """eurofxref-hist.zip: one CSV inside, read no further than MAX_BYTES whatever its header claims."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise RateFileError(f"the zip holds {len(members)} CSV files; an ECB history zip holds one")
            with archive.open(members[0]) as member:
                content = member.read(MAX_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        raise RateFileError(f"the zip cannot be read: {err}") from None
    if len(content) > MAX_BYTES:
        raise RateFileError(f"the CSV inside the zip is larger than {MAX_BYTES:,} bytes; it is not an ECB file")
    return parse_csv(content)


def parse_csv(data: bytes) -> RateFile:
    """eurofxref-hist.csv: `Date,USD,JPY,...,` newest day first, `N/A` where there is no rate."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RateFileError(f"the CSV is not UTF-8 text (byte {err.start})") from None
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    try:
        return _read_csv(reader)
    except csv.Error as err:  # a field over the csv module's limit, a stray carriage return, ...
        raise RateFileError(f"line {max(reader.line_num, 1)}: the CSV cannot be read: {err}") from None


def _read_csv(reader) -> RateFile:
    header = [cell.strip() for cell in next(reader, [])]
    if not header or header[0] != "Date":
        raise RateFileError("line 1 must be the header Date,USD,JPY,... of an ECB rate file")
    columns, ignored = _columns(header[1:])
    rates = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        day = _day(row[0], f"line {reader.line_num}")
        for index, code in columns:
            cell = row[index + 1].strip() if index + 1 < len(row) else ""
            if cell not in _NO_RATE:
                rates.append(Rate(day, code, _rate(cell, f"line {reader.line_num}, {code}")))
    return _found(rates, ignored)


def parse_xml(data: bytes) -> RateFile:
    """eurofxref-daily.xml: gesmes:Envelope / Cube / Cube time=... / Cube currency=... rate=..."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as err:
        raise RateFileError(f"the XML is refused: {err}") from None
    except ParseError as err:
        raise RateFileError(f"the XML is not well-formed: {err}") from None
    if root.tag != f"{_GESMES}Envelope":
        raise RateFileError(f"the XML's root is {root.tag!r}; an ECB rate file's is gesmes:Envelope")
    rates, ignored = [], set()
    for day_cube in root.iterfind(f"{_ECB}Cube/{_ECB}Cube"):
        day = _day(day_cube.get("time", ""), "a <Cube time=...>")
        for cube in day_cube.iterfind(f"{_ECB}Cube"):
            code = _accepted(cube.get("currency", ""))
            if code is None:
                ignored.add(cube.get("currency", ""))
            elif cube.get("rate", "").strip() not in _NO_RATE:
                rates.append(Rate(day, code, _rate(cube.get("rate", ""), f"{day} {code}")))
    return _found(rates, tuple(sorted(ignored)))


def _columns(codes: list[str]) -> tuple[list[tuple[int, str]], tuple[str, ...]]:
    """The header's columns whose currency money can be recorded in, and the codes left out."""
    columns, ignored = [], []
    for index, raw in enumerate(codes):
        code = _accepted(raw)
        if code is not None:
            columns.append((index, code))
        elif raw:
            ignored.append(raw)
    return columns, tuple(ignored)


def _accepted(code: str) -> str | None:
    try:
        return normalize_currency(code)
    except MoneyError:  # withdrawn currencies (CYP, HRK, ...) stay in the history files
        return None


def _day(text: str, where: str) -> dt.date:
    text = text.strip()
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RateFileError(f"{where}: {text!r} is not a date written YYYY-MM-DD") from None


def _rate(text: str, where: str) -> Decimal:
    text = text.strip()
    if not _RATE.fullmatch(text) or Decimal(text) == 0:
        raise RateFileError(f"{where}: {text!r} is not a positive rate such as 1.0866 (or N/A)")
    return Decimal(text)


def _found(rates: list[Rate], ignored: tuple[str, ...]) -> RateFile:
    if not rates:
        raise RateFileError("the file holds no rates")
    return RateFile(rates, ignored)
