"""OFX 1.x (SGML), OFX 2.x (XML) and QFX bank and credit-card statements, tokenised by ofxtools.

ofxtools reads the header, the character set and both syntaxes into an ElementTree. Its `convert()` is not
used: it refuses the whole file for one bad transaction and turns DTPOSTED into UTC, which moves a booking
made at 00:30 CET to the previous day. Each STMTTRN is read here instead, so a bad one is one RowError.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import re
import xml.etree.ElementTree as ET

from ofxtools import Types
from ofxtools.header import OFXHeaderError
from ofxtools.Parser import OFXTree, ParseError

from shared.adapters.bankfiles.rows import ParsedFile, ParsedRow, RowError, UnreadableFile, build_row, split_results

_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})")
_STMTTRN = re.compile(rb"<STMTTRN>")
_TEXT = Types.String()  # unescapes &amp; &lt; &nbsp; as OFX banks write them
_AMOUNT = Types.Decimal()  # accepts the decimal comma some banks put in TRNAMT


def _tree(data: bytes) -> ET.Element:
    try:
        root = OFXTree().parse(io.BytesIO(data.removeprefix(b"\xef\xbb\xbf")))
    except OFXHeaderError:
        raise UnreadableFile(
            "the OFX header is missing or malformed: OFX files start with OFXHEADER:100 (OFX 1) "
            'or <?xml ...?><?OFX OFXHEADER="200" ...?> (OFX 2)'
        ) from None
    except (ParseError, ET.ParseError, IndexError) as err:  # IndexError: an end tag nothing opened
        raise UnreadableFile(f"the OFX markup cannot be read ({err}): export the file again") from None
    except (UnicodeDecodeError, LookupError, ValueError) as err:
        raise UnreadableFile(f"the OFX file cannot be read: {err}") from None
    # ofxtools accepts a file that stops midway; a statement cut short would silently lose its last rows.
    if not data.rstrip(b" \t\r\n\x00").endswith(b"</OFX>"):
        raise UnreadableFile("the OFX file ends before </OFX>: it was cut short; download it again")
    return root


def _text(element: ET.Element, path: str) -> str | None:
    raw = element.findtext(path)
    return _TEXT.convert(raw) if raw else None


def _account(statement: ET.Element) -> str:
    return statement.findtext("BANKACCTFROM/ACCTID") or statement.findtext("CCACCTFROM/ACCTID") or "?"


def _lines(data: bytes) -> list[int]:
    """The line of each <STMTTRN> in file order, as ofxtools meets them."""
    newline = b"\n" if b"\n" in data else b"\r"
    lines, line, counted = [], 1, 0
    for match in _STMTTRN.finditer(data):  # counting on from the previous match keeps a large file linear
        line += data.count(newline, counted, match.start())
        counted = match.start()
        lines.append(line)
    return lines


def _row(line: int, trn: ET.Element, currency: str | None) -> ParsedRow | RowError:
    posted = trn.findtext("DTPOSTED") or ""
    match = _DATE.match(posted)
    if match is None:
        return RowError(line, f"DTPOSTED {posted!r} is not an OFX date such as 20260302")
    try:
        date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return RowError(line, f"DTPOSTED {posted!r} is not a date that exists")
    raw_amount = (trn.findtext("TRNAMT") or "").strip()
    try:
        amount = _AMOUNT.convert(raw_amount)
    except (decimal.InvalidOperation, ValueError):
        return RowError(line, f"TRNAMT {raw_amount!r} is not a number")
    payee = _text(trn, "NAME") or _text(trn, "PAYEE/NAME")
    currency = _text(trn, "CURRENCY/CURSYM") or currency  # CURRENCY: this one booking is in another currency
    return build_row(line, date, amount, currency, payee, _text(trn, "MEMO"), _text(trn, "FITID"))


def parse_ofx(data: bytes) -> ParsedFile:
    """Rows of the bank or credit-card statements in an OFX or QFX file (one account)."""
    root = _tree(data)
    statements = [s for s in root.iter() if s.tag in ("STMTRS", "CCSTMTRS")]
    if not statements:
        raise UnreadableFile("the OFX file has no bank or credit-card statement (investment statements are not read)")
    accounts = sorted({_account(s) for s in statements})
    if len(accounts) > 1:
        raise UnreadableFile(f"the OFX file holds statements of {len(accounts)} accounts: export one account per file")
    lines = _lines(data)
    position = {id(trn): i for i, trn in enumerate(root.iter("STMTTRN"))}
    results: list[ParsedRow | RowError] = []
    for statement in statements:
        currency = _text(statement, "CURDEF")
        for trn in statement.iterfind("BANKTRANLIST/STMTTRN"):
            index = position[id(trn)]
            results.append(_row(lines[index] if len(lines) == len(position) else 0, trn, currency))
    rows, errors = split_results(results)
    return ParsedFile(format="ofx", rows=rows, errors=errors, currency=_text(statements[0], "CURDEF"))
