"""Converted totals for reports (docs/design/accounts.md, "Reports"): each item (a transaction's part, an account's
month-end balance) converted at the latest ECB rate on or before its day, rounded once, half-even, and summed; a
total with an item that has no usable rate is null and names it, never a partial sum nor a 1:1 guess.

The rates come from the store's copy of exchange_rates. The table of them is built once per process and again
only when the store's rates change (a new load, another store): the whole history is ~200,000 rates.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.adapters.analytics.schema import from_e4
from shared.domain.money import format_amount
from shared.domain.rates import Rate, RateTable, convert_total

Item = tuple[Decimal, str, dt.date]  # amount, its currency, the day whose rate converts it

_lock = threading.Lock()
_cached: tuple[tuple, RateTable] | None = None


def rate_table(conn: sqlite3.Connection) -> RateTable:
    """The store's rates as a RateTable, rebuilt only when they changed since the last call."""
    global _cached
    key = tuple(
        conn.execute(
            "SELECT (SELECT source_id FROM sync_state WHERE id = 1), MAX(change_seq), COUNT(*) FROM exchange_rates"
        ).fetchone()
    )
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    rows = conn.execute("SELECT currency, day, per_euro FROM exchange_rates")
    table = RateTable(Rate(dt.date.fromisoformat(day), currency, Decimal(rate)) for currency, day, rate in rows)
    with _lock:
        _cached = (key, table)
    return table


@dataclass(frozen=True, slots=True)
class Part:
    """What category totals count: a transaction's split, or the whole transaction when it has none."""

    type: str
    category: str
    currency: str
    day: dt.date
    amount: Decimal
    month: str

    @property
    def item(self) -> Item:
        return (self.amount, self.currency, self.day)


def parts(conn: sqlite3.Connection, user_id: str, start: dt.date, end: dt.date) -> list[Part]:
    """The user's parts booked in [start, end]."""
    rows = conn.execute(
        "SELECT type, category, currency, booking_date, amount_e4, month FROM transaction_parts "
        "WHERE user_id = ? AND booking_date BETWEEN ? AND ?",
        (user_id, start.isoformat(), end.isoformat()),
    )
    return [Part(t, c, cur, dt.date.fromisoformat(d), from_e4(a), m) for t, c, cur, d, a, m in rows]


def grouped(items: Iterable[Part], key: Callable[[Part], Hashable] = lambda p: p.currency) -> dict:
    """The parts by `key` (by currency unless told otherwise)."""
    out: dict[Hashable, list[Part]] = {}
    for part in items:
        out.setdefault(key(part), []).append(part)
    return out


@dataclass(frozen=True)
class Conversion:
    """Converting one user's report to `currency`."""

    currency: str
    table: RateTable

    def amounts(self, **named: Iterable[Item]) -> dict[str, Any]:
        """Each named total converted, the rate dates used over all of them, and every missing rate."""
        totals = {name: convert_total(self.table, items, self.currency) for name, items in named.items()}
        firsts = [t.first_rate_date for t in totals.values() if t.first_rate_date]
        lasts = [t.last_rate_date for t in totals.values() if t.last_rate_date]
        missing = sorted({m for t in totals.values() for m in t.missing})
        shown = {n: None if t.amount is None else format_amount(t.amount, self.currency) for n, t in totals.items()}
        return {
            "currency": self.currency,
            **shown,
            "rate_dates": {
                "first": min(firsts).isoformat() if firsts else None,
                "last": max(lasts).isoformat() if lasts else None,
            },
            "missing_rates": [m.to_json() for m in missing],
        }

    def flows(self, items: Iterable[Part]) -> dict[str, Any]:
        """Income, expense and net of these parts; net is null unless both are known."""
        items = list(items)
        out = self.amounts(
            income=[p.item for p in items if p.type == "income"], expense=[p.item for p in items if p.type != "income"]
        )
        return _with_difference(out, "net", "income", "expense", self.currency)

    def budget(self, amount: Decimal, currency: str, day: dt.date, spent: Iterable[Part]) -> dict[str, Any]:
        """A budget (at the rate of `day`) against the parts spent, and what remains."""
        out = self.amounts(budget=[(amount, currency, day)], spent=[p.item for p in spent])
        return _with_difference(out, "remaining", "budget", "spent", self.currency)


def _with_difference(out: dict[str, Any], name: str, plus: str, minus: str, currency: str) -> dict[str, Any]:
    known = out[plus] is not None and out[minus] is not None
    difference = format_amount(Decimal(out[plus]) - Decimal(out[minus]), currency) if known else None
    rest = {k: v for k, v in out.items() if k not in ("rate_dates", "missing_rates")}
    return {**rest, name: difference, "rate_dates": out["rate_dates"], "missing_rates": out["missing_rates"]}


def conversion(conn: sqlite3.Connection, user_id: str, convert_to: str | None) -> Conversion | None:
    """The report's conversion: to `convert_to`, else to the user's home currency, else none."""
    currency = convert_to
    if currency is None:
        row = conn.execute("SELECT home_currency FROM user_settings WHERE user_id = ?", (user_id,)).fetchone()
        currency = row[0] if row else None
    return None if currency is None else Conversion(currency, rate_table(conn))


def rate_day(month_end: dt.date, today: dt.date) -> dt.date:
    """The day whose rate converts a month's end: the month's last day, or today for a month not over yet
    (the rate of a day not yet published would only ever be missing)."""
    return min(month_end, today)
