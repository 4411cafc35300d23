"""Amounts as banks write them in text files: signs, currency marks, decimal comma or point, thousands groups."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from shared.adapters.bankfiles.rows import UnreadableFile

# Sign before or after, optional currency code or symbol on either side, parentheses for accounting negatives.
_SHAPE = re.compile(
    r"""^(?P<open>\()?\s*(?P<lead>[-+\u2212])?\s*(?:[A-Za-z]{3}|[€$£¥])?\s*(?P<lead2>[-+\u2212])?\s*
        (?P<number>\d[\d.,'\u00a0\u202f ]*)
        \s*(?P<trail>-)?\s*(?:[A-Za-z]{3}|[€$£¥])?\s*(?P<close>\))?$""",
    re.VERBOSE,
)
_GROUPING_SPACES = str.maketrans("", "", "'\u00a0\u202f ")
_PLAIN = {".": re.compile(r"\d+(?:\.\d+)?"), ",": re.compile(r"\d+(?:,\d+)?")}
_GROUPED = {
    ".": re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
    ",": re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"),
}
_DECIMAL_NAMES = {".": ".", ",": ",", "point": ".", "dot": ".", "comma": ","}


def decimal_option(value: str | None) -> str | None:
    """The decimal separator a person named ("," or "."), or None to detect it."""
    if value is None:
        return None
    found = _DECIMAL_NAMES.get(value.strip().lower())
    if found is None:
        raise UnreadableFile(f"decimal {value!r} must be ',' or '.'")
    return found


# What may follow a number in a cell: spaces, a trailing sign, a currency code or symbol, a closing parenthesis.
_AFTER_NUMBER = " \u00a0\u202f-+)€$£¥" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PLAIN_CELL = {
    ".": re.compile(r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?|-?\d+(?:\.\d+)?"),
    ",": re.compile(r"-?\d{1,3}(?:\.\d{3})*(?:,\d+)?|-?\d+(?:,\d+)?"),
}
ENOUGH_VOTES = 1000  # a 100,000-row file has made up its mind long before its end


def _vote(cell: str) -> str | None:
    """The decimal separator one written amount proves, or None when it could be either."""
    number = cell.rstrip(_AFTER_NUMBER)
    comma, point = number.rfind(","), number.rfind(".")
    if comma >= 0 and point >= 0:
        return "," if comma > point else "."
    sep = "," if comma >= 0 else "." if point >= 0 else None
    if sep is None:
        return None
    if number.count(sep) > 1:  # 1.234.567 groups thousands, so the other mark is the decimal one
        return "," if sep == "." else "."
    return None if len(number) - number.rfind(sep) - 1 == 3 else sep


def detect_decimal(cells: Iterable[str], given: str | None) -> str:
    """The file's decimal separator: the one its amounts prove, by majority; a person decides a tie."""
    if given is not None:
        return given
    votes = {",": 0, ".": 0}
    undecided = None
    for cell in cells:
        vote = _vote(cell)
        if vote is not None:
            votes[vote] += 1
            if votes[vote] >= ENOUGH_VOTES:
                break
        elif undecided is None and ("," in cell or "." in cell):
            undecided = cell.strip()
    if votes[","] != votes["."]:
        return "," if votes[","] > votes["."] else "."
    if votes[","] or undecided is not None:
        example = undecided or "1,234"
        raise UnreadableFile(f"amounts such as {example!r} could use ',' or '.' as the decimal mark: pass decimal")
    return "."


def parse_amount(cell: str, decimal: str) -> Decimal:
    """The signed amount a cell holds; ValueError with a reason a person can act on."""
    text = cell.strip()
    if _PLAIN_CELL[decimal].fullmatch(text):  # most cells: "-1.234,56" or "12.50", nothing around the number
        return Decimal(text.replace("," if decimal == "." else ".", "").replace(decimal, "."))
    if not text:
        raise ValueError("amount is empty")
    match = _SHAPE.match(text)
    if match is None:
        raise ValueError(f"amount {text!r} is not a number")
    number = match.group("number").translate(_GROUPING_SPACES)
    if not (_PLAIN[decimal].fullmatch(number) or _GROUPED[decimal].fullmatch(number)):
        raise ValueError(f"amount {text!r} is not a number written with {decimal!r} as the decimal mark")
    signs = [s for s in (match.group("lead"), match.group("lead2"), match.group("trail")) if s]
    if len(signs) > 1 or (match.group("open") is None) != (match.group("close") is None):
        raise ValueError(f"amount {text!r} is not a number")
    thousands = "," if decimal == "." else "."
    value = Decimal(number.replace(thousands, "").replace(decimal, "."))  # the patterns above admit only digits
    negative = bool(match.group("open")) or (bool(signs) and signs[0] in "-\u2212")
    return -value if negative else value
