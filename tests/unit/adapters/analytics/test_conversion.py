"""Converted report totals: each part at its own day's rate, rounded once half-even, summed; a missing or stale
rate makes the total null and is named, never guessed."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from shared.adapters.analytics.conversion import Conversion, Part, grouped, rate_day
from shared.domain.rates import Rate, RateTable

D = Decimal
MAY = {17: "1.0866", 16: "1.0847", 8: "1.0755"}
TABLE = RateTable(
    [Rate(dt.date(2024, 5, d), "USD", D(r)) for d, r in MAY.items()]
    + [Rate(dt.date(2024, 5, 17), "JPY", D("169.30")), Rate(dt.date(2024, 4, 2), "GBP", D("0.85"))]
)


def part(kind: str, amount: str, currency: str, day: int, category: str = "fun") -> Part:
    return Part(kind, category, currency, dt.date(2024, 5, day), D(amount), "2024-05")


def to_eur(amount: str, rate: str, digits: int = 2) -> Decimal:
    """The test's own arithmetic: exact fraction, then half-even to the target's minor units."""
    return _round(Fraction(amount) / Fraction(rate), digits)


def _round(value: Fraction, digits: int) -> Decimal:
    scaled = value * 10**digits
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * rest
    if twice > scaled.denominator or (twice == scaled.denominator and whole % 2):
        whole += 1
    return D(whole).scaleb(-digits)


def test_each_part_is_converted_at_its_own_days_rate_and_the_total_is_their_sum():
    parts = [part("expense", "10.00", "USD", 17), part("expense", "3.33", "USD", 16), part("income", "5000", "JPY", 17)]
    out = Conversion("EUR", TABLE).flows(parts)
    expense = to_eur("10.00", "1.0866") + to_eur("3.33", "1.0847")
    income = to_eur("5000", "169.30")
    assert out == {
        "currency": "EUR",
        "income": str(income),
        "expense": str(expense),
        "net": str(income - expense),
        "rate_dates": {"first": "2024-05-16", "last": "2024-05-17"},
        "missing_rates": [],
    }


def test_a_weekend_day_uses_the_latest_rate_before_it():
    out = Conversion("EUR", TABLE).amounts(x=[(D("100.00"), "USD", dt.date(2024, 5, 19))])  # a Sunday
    assert out["x"] == str(to_eur("100.00", "1.0866")) and out["rate_dates"]["first"] == "2024-05-17"


def test_a_missing_rate_makes_its_total_null_names_it_and_leaves_the_other_total():
    parts = [part("income", "1.00", "GBP", 17), part("expense", "2.00", "EUR", 17), part("income", "1.00", "CHF", 17)]
    out = Conversion("EUR", TABLE).flows(parts)
    assert out["income"] is None and out["net"] is None
    assert out["expense"] == "2.00"
    assert [(m["currency"], m["date"]) for m in out["missing_rates"]] == [("CHF", "2024-05-17"), ("GBP", "2024-05-17")]
    assert "too old" in out["missing_rates"][1]["detail"]  # GBP's only rate is of April: stale, not used


def test_a_day_before_the_first_rate_is_missing_not_converted_at_one_to_one():
    out = Conversion("EUR", TABLE).amounts(x=[(D("1.00"), "USD", dt.date(2024, 5, 7))])
    assert out["x"] is None
    assert out["missing_rates"] == [
        {"currency": "USD", "date": "2024-05-07", "detail": "no USD exchange rate on or before 2024-05-07"}
    ]


def test_converting_between_two_foreign_currencies_crosses_the_euro_and_rounds_once():
    out = Conversion("JPY", TABLE).amounts(x=[(D("10.01"), "USD", dt.date(2024, 5, 17))])
    exact = Fraction("10.01") * Fraction("169.30") / Fraction("1.0866")
    assert out["x"] == str(_round(exact, 0))


def test_the_target_currency_itself_needs_no_rate():
    out = Conversion("USD", TABLE).amounts(x=[(D("1.50"), "USD", dt.date(1999, 1, 1))])
    assert out == {"currency": "USD", "x": "1.50", "rate_dates": {"first": None, "last": None}, "missing_rates": []}


def test_a_budget_converts_at_its_day_and_what_remains_is_the_difference():
    spent = [part("expense", "40.00", "USD", 16, "rent")]
    out = Conversion("EUR", TABLE).budget(D("100.00"), "USD", dt.date(2024, 5, 20), spent)
    budget, used = to_eur("100.00", "1.0866"), to_eur("40.00", "1.0847")
    assert (out["budget"], out["spent"], out["remaining"]) == (str(budget), str(used), str(budget - used))
    assert D("100.00") / D("1.0866") != budget  # the rounding is real: the comparison above is to the cent


def test_a_month_not_over_is_converted_at_todays_rate():
    assert rate_day(dt.date(2024, 5, 31), dt.date(2024, 5, 20)) == dt.date(2024, 5, 20)
    assert rate_day(dt.date(2024, 4, 30), dt.date(2024, 5, 20)) == dt.date(2024, 4, 30)


def test_parts_group_by_currency_or_any_key():
    parts = [part("expense", "1", "USD", 17, "a"), part("expense", "2", "EUR", 17, "b"), part("income", "3", "USD", 16)]
    assert {k: len(v) for k, v in grouped(parts).items()} == {"USD": 2, "EUR": 1}
    assert set(grouped(parts, lambda p: (p.category, p.type))) == {
        ("a", "expense"),
        ("b", "expense"),
        ("fun", "income"),
    }


def test_half_even_rounding_matches_the_tests_own():
    assert _round(Fraction("0.125"), 2) == D("0.12") and _round(Fraction("0.135"), 2) == D("0.14")
    assert D("0.125").quantize(D("0.01"), ROUND_HALF_EVEN) == D("0.12")
