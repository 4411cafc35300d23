"""Booking dates and months: the one definition of a month, the range of dates, and month arithmetic."""

from __future__ import annotations

import datetime as dt
import re

FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # booking dates, and periods asked about
# ASCII digits only and a full match: `\d` takes other scripts' digits and `$` a trailing newline.
YEARS_PATTERN = r"^(19|2[0-9])[0-9]{2}-"  # FIRST_DATE to LAST_DATE, for the API document
# Months are bounded like booking dates: a year-0000 month has no month before it (net worth's window, month ends).
MONTH_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"
_MONTH = re.compile(MONTH_PATTERN)
_DATE = re.compile(DATE_PATTERN)


def is_month(value: object) -> bool:
    return isinstance(value, str) and _MONTH.fullmatch(value) is not None


def check_month(value: object) -> str:
    """A month written YYYY-MM, or ValueError saying how to write one."""
    if not is_month(value):
        raise ValueError(f"must be a month written YYYY-MM, {FIRST_DATE.year} to {LAST_DATE.year}, e.g. 2026-11")
    return value  # type: ignore[return-value]


def is_date_text(value: object) -> bool:
    return isinstance(value, str) and _DATE.fullmatch(value) is not None


def check_date(value: dt.date) -> dt.date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"date must be between {FIRST_DATE} and {LAST_DATE}")
    return value


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, delta: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_window(until: str, months: int) -> list[str]:
    """The `months` months ending with `until`, oldest first."""
    return [shift_month(until, -i) for i in range(months - 1, -1, -1)]


def month_end(month: str) -> dt.date:
    """The last day of a month."""
    return dt.date.fromisoformat(f"{shift_month(month, 1)}-01") - dt.timedelta(days=1)


def split_period(start: dt.date, end: dt.date) -> tuple[tuple[str, str] | None, list[tuple[dt.date, dt.date]]]:
    """Whole months of [start, end] (answered from monthly totals) and the partial days at either edge."""
    first_full = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    next_day = end + dt.timedelta(days=1)
    last_full = end if next_day.day == 1 else end.replace(day=1) - dt.timedelta(days=1)
    if first_full > last_full:
        return None, [(start, end)]
    edges = []
    if start < first_full:
        edges.append((start, first_full - dt.timedelta(days=1)))
    if last_full < end:
        edges.append((last_full + dt.timedelta(days=1), end))
    return (month_of(first_full), month_of(last_full)), edges
