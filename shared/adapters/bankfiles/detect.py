"""Which format a bank file is in, from its first bytes."""

from __future__ import annotations

from shared.adapters.bankfiles.rows import UnreadableFile

FORMATS = ("csv", "ofx", "qif", "camt053")
_QIF_HEADERS = ("!type:", "!account", "!option:", "!clear:")
_ELSEWHERE = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "an Excel workbook or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook",
}


def _head(data: bytes) -> str:
    """The first few kilobytes as text; only the ASCII markers matter, so every byte is kept as some character."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[2:4098].decode("utf-16-le" if data[0] == 0xFF else "utf-16-be", "replace")
    return data[:4096].decode("latin-1").removeprefix("\u00ef\u00bb\u00bf")


def detect_format(data: bytes) -> str:
    """The format: csv, ofx (also QFX), qif or camt053; UnreadableFile when the file is none of them."""
    for magic, kind in _ELSEWHERE.items():
        if data.startswith(magic):
            raise UnreadableFile(f"this is {kind}: export the statement as CSV, OFX, QIF or camt.053")
    head = _head(data).lstrip(" \t\r\n\x00")
    if not head:
        raise UnreadableFile("the file is empty")
    upper = head.upper()
    if upper.startswith("OFXHEADER") or "<OFX>" in upper or "<?OFX" in upper:
        return "ofx"
    if head.startswith("<"):
        if "urn:iso:std:iso:20022:tech:xsd:camt." in head:
            return "camt053"  # its parser names the camt message it got if that is not a statement
        raise UnreadableFile("this XML file is neither OFX nor an ISO 20022 camt.053 statement")
    lines = head.splitlines()
    if lines[0].lower().replace(" ", "").startswith(_QIF_HEADERS):
        return "qif"
    if any(mark in line for line in lines[:10] for mark in (",", ";", "\t")):  # a title line may come first
        return "csv"
    raise UnreadableFile("the file's format cannot be told from its start: pass format (csv, ofx, qif or camt053)")
