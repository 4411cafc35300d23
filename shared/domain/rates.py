"""Exchange rates as the European Central Bank publishes them (units of a currency one euro buys, per day) and
exact conversion with them.

A conversion uses the latest rate on or before the day asked about, crosses through the euro
(amount × to_rate / from_rate, 50 significant digits), and rounds once, half-even, to the target currency's
minor units: half-even because a report sums many rounded items and rounding halves up would bias the sum.
A rate that is missing, or older than `max_age`, is a MissingRate, never a silent 1:1.

A converted total is the sum of its items converted one by one (`convert_total`), not the total converted once:
items of one total carry different dates and so different rates, and a person who checks the converted items
finds that they add up to the converted total to the last digit.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

from shared.domain.money import minor_units

BASE = "EUR"
# The ECB publishes on TARGET working days: Easter's four days off are its longest regular gap.
MAX_AGE = dt.timedelta(days=7)
_EXACT = Context(prec=50)


@dataclass(frozen=True, slots=True)
class Rate:
    """What one euro buys in `currency` on `day`, as published."""

    day: dt.date
    currency: str
    per_euro: Decimal


@dataclass(frozen=True, slots=True, order=True)
class MissingRate:
    """No usable rate for `currency` on `day`; `latest` is the newest one before it, when it is too old to use."""

    currency: str
    day: dt.date
    latest: dt.date | None = None

    def __str__(self) -> str:
        if self.latest is None:
            return f"no {self.currency} exchange rate on or before {self.day}"
        return f"the latest {self.currency} exchange rate before {self.day} is of {self.latest}, too old to use"

    def to_json(self) -> dict[str, Any]:
        return {"currency": self.currency, "date": self.day.isoformat(), "detail": str(self)}


@dataclass(frozen=True, slots=True)
class Converted:
    """A converted amount and the day of the rates used (None when no rate was needed: same currency)."""

    amount: Decimal
    rate_date: dt.date | None


class RateTable:
    """Dated rates per currency, immutable; a later rate for the same day and currency replaces an earlier one."""

    def __init__(self, rates: Iterable[Rate] = (), *, max_age: dt.timedelta = MAX_AGE) -> None:
        by_currency: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
        for rate in rates:
            if rate.per_euro <= 0:
                raise ValueError(f"the {rate.currency} rate of {rate.day} must be positive, not {rate.per_euro}")
            by_currency[rate.currency][rate.day] = rate.per_euro
        self._days = {c: sorted(r) for c, r in by_currency.items()}
        self._rates = {c: [r[d] for d in self._days[c]] for c, r in by_currency.items()}
        self._max_age = max_age

    def __len__(self) -> int:
        return sum(len(days) for days in self._days.values())

    def currencies(self) -> list[str]:
        return sorted(self._days)

    def rate(self, currency: str, day: dt.date) -> tuple[Decimal, dt.date | None] | MissingRate:
        """Units of `currency` per euro on the latest day on or before `day`, with that day (the euro: 1, None)."""
        if currency == BASE:
            return Decimal(1), None
        days = self._days.get(currency, [])
        at = bisect.bisect_right(days, day) - 1
        if at < 0:
            return MissingRate(currency, day)
        if day - days[at] > self._max_age:
            return MissingRate(currency, day, days[at])
        return self._rates[currency][at], days[at]

    def convert(self, amount: Decimal, from_ccy: str, to_ccy: str, on_date: dt.date) -> Converted | MissingRate:
        """`amount` in `to_ccy` at the rates of `on_date`; the rate date is the older of the two rates used."""
        step = Decimal(1).scaleb(-minor_units(to_ccy))
        if from_ccy == to_ccy:
            return Converted(amount.quantize(step, rounding=ROUND_HALF_EVEN), None)
        source, target = self.rate(from_ccy, on_date), self.rate(to_ccy, on_date)
        for found in (source, target):
            if isinstance(found, MissingRate):
                return found
        (from_rate, from_day), (to_rate, to_day) = source, target  # type: ignore[misc]
        exact = _EXACT.divide(_EXACT.multiply(amount, to_rate), from_rate)
        used = min(d for d in (from_day, to_day) if d is not None)
        return Converted(exact.quantize(step, rounding=ROUND_HALF_EVEN), used)


@dataclass(frozen=True, slots=True)
class ConvertedTotal:
    """A sum of converted items: `amount` is None when any item had no rate, and `missing` names each one."""

    currency: str
    amount: Decimal | None
    first_rate_date: dt.date | None
    last_rate_date: dt.date | None
    missing: tuple[MissingRate, ...]


def convert_total(table: RateTable, items: Iterable[tuple[Decimal, str, dt.date]], to_ccy: str) -> ConvertedTotal:
    """Σ of each (amount, currency, day) converted to `to_ccy`; a partial sum is never given as the total."""
    total, days, missing = Decimal(0).scaleb(-minor_units(to_ccy)), set(), set()
    for amount, currency, day in items:
        converted = table.convert(amount, currency, to_ccy, day)
        if isinstance(converted, MissingRate):
            missing.add(converted)
            continue
        total += converted.amount
        if converted.rate_date is not None:
            days.add(converted.rate_date)
    return ConvertedTotal(
        to_ccy,
        None if missing else total,
        min(days, default=None),
        max(days, default=None),
        tuple(sorted(missing)),
    )
