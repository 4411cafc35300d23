"""Booking dates as banks write them in text files, with the day/month order found per file, never guessed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from shared.adapters.bankfiles.rows import UnreadableFile

DMY, MDY, YMD = "DMY", "MDY", "YMD"
FORMATS = "DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD"
_TIME = r"(?:[T ]+\d.*)?"  # "2026-03-02 10:15:00", "2026-03-02T10:15:00+01:00": the booking day is the date part
_ISO = re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
# Quicken writes 2 January 2026 as "1/ 2'26": spaces for leading zeros, an apostrophe before 21st-century years.
_NUMERIC = re.compile(rf"(\d{{1,2}})\s*([./-])\s*(\d{{1,2}})\s*([./'-])\s*(\d{{1,4}}){_TIME}")
# German spellings of the format letters (TT.MM.JJJJ) too.
_FORMAT_LETTERS = str.maketrans({"T": "D", "J": "Y"})


def date_order_option(value: str | None) -> str | None:
    """The day/month/year order a date_format names ("DD.MM.YYYY", "%m/%d/%Y", "ISO"...), or None to detect."""
    if value is None:
        return None
    text = value.strip().upper().translate(_FORMAT_LETTERS)
    if text == "ISO":
        return YMD
    letters = [c for c in text if c in "DMY"]
    order = "".join(c for i, c in enumerate(letters) if i == 0 or letters[i - 1] != c)
    if order not in (DMY, MDY, YMD):
        raise UnreadableFile(f"date_format {value!r} is not one of {FORMATS}")
    return order


def _year(text: str, apostrophe: bool) -> int:
    if len(text) == 4:
        return int(text)
    if len(text) == 3:
        raise ValueError
    # As strptime's %y: 69-99 are 1900s; Quicken's apostrophe always means 2000s.
    year = int(text)
    return 2000 + year if apostrophe or year < 69 else 1900 + year


def _vote(text: str) -> str | None:
    match = _NUMERIC.fullmatch(text)
    if match is None or match.group(2) == ".":  # nobody writes MM.DD.YYYY
        return None
    first, second = int(match.group(1)), int(match.group(3))
    if first > 12 >= second:
        return DMY
    if second > 12 >= first:
        return MDY
    return ""  # fits both orders


class DateReader:
    """Reads the dates of one file with the order its dates prove, or the one a person gave."""

    def __init__(self, texts: Iterable[str], given: str | None) -> None:
        self._cache: dict[str, dt.date | str] = {}
        self._order = given or self._detect({t.strip() for t in texts})

    @staticmethod
    def _detect(texts: set[str]) -> str | None:
        votes = {DMY: 0, MDY: 0, "": 0}
        examples: dict[str, str] = {}
        for text in sorted(texts):
            vote = _vote(text)
            if vote is not None:
                votes[vote] += 1
                examples.setdefault(vote, text)
        if votes[DMY] != votes[MDY]:
            return DMY if votes[DMY] > votes[MDY] else MDY
        if votes[DMY]:
            raise UnreadableFile(
                f"dates such as {examples[DMY]!r} and {examples[MDY]!r} disagree on whether the day or the month "
                "comes first: pass date_format (DD/MM/YYYY or MM/DD/YYYY)"
            )
        if votes[""]:
            raise UnreadableFile(
                f"dates such as {examples['']!r} could be DD/MM or MM/DD: pass date_format (DD/MM/YYYY or MM/DD/YYYY)"
            )
        return None  # only ISO and DD.MM.YYYY dates, which need no order

    def read(self, text: str) -> dt.date:
        """The date a cell holds; ValueError with a reason a person can act on."""
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = self._parse(text.strip())
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def _parse(self, text: str) -> dt.date | str:
        if not text:
            return "date is empty"
        try:
            if match := _ISO.fullmatch(text) or _COMPACT.fullmatch(text):
                return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            match = _NUMERIC.fullmatch(text)
            if match is None:
                return f"date {text!r} is not a date written {FORMATS}"
            if self._order == YMD:
                return f"date {text!r} is not written YYYY-MM-DD as date_format says"
            first, second = int(match.group(1)), int(match.group(3))
            year = _year(match.group(5), match.group(4) == "'")
            if self._order == MDY:  # without an order only dotted dates get here, and those are DD.MM
                first, second = second, first
            return dt.date(year, second, first)
        except ValueError:
            return f"date {text!r} does not exist"
