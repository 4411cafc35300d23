"""Conversion with the ECB's euro reference rates: the latest rate on or before the day, never a guess."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from shared.domain.rates import Converted, MissingRate, Rate, RateTable, convert_total

D = Decimal
FRI, SAT, MON = dt.date(2024, 5, 10), dt.date(2024, 5, 11), dt.date(2024, 5, 13)
TABLE = RateTable(
    [
        Rate(FRI, "USD", D("1.0773")),
        Rate(MON, "USD", D("1.0785")),
        Rate(FRI, "JPY", D("167.97")),
        Rate(MON, "JPY", D("168.29")),
        Rate(FRI, "KWD", D("0.33111")),
        Rate(FRI, "GBP", D("0.86040")),
    ]
)


def test_euros_convert_at_the_rate_of_the_day():
    assert TABLE.convert(D("100.00"), "EUR", "USD", MON) == Converted(D("107.85"), MON)
    assert TABLE.convert(D("107.85"), "USD", "EUR", MON) == Converted(D("100.00"), MON)


def test_a_day_without_rates_uses_the_latest_before_it():
    assert TABLE.convert(D("100.00"), "EUR", "USD", SAT) == Converted(D("107.73"), FRI)


def exact(amount: str, from_rate: str, to_rate: str, digits: int) -> Decimal:
    """The conversion in exact fractions, rounded half-even once: the test's own arithmetic."""
    value = Fraction(amount) * Fraction(to_rate) / Fraction(from_rate)
    return D(round(value * 10**digits)).scaleb(-digits)


def test_two_foreign_currencies_cross_through_the_euro_rounding_once():
    assert TABLE.convert(D("1000.00"), "USD", "JPY", FRI) == Converted(exact("1000", "1.0773", "167.97", 0), FRI)
    assert TABLE.convert(D("10.000"), "KWD", "GBP", FRI) == Converted(exact("10", "0.33111", "0.86040", 2), FRI)
    assert TABLE.convert(D("1000.00"), "USD", "JPY", FRI).amount == D("155918")


def test_the_rate_date_of_a_cross_conversion_is_the_older_rate_used():
    assert TABLE.convert(D("10.00"), "GBP", "USD", MON).rate_date == FRI


def test_the_same_currency_needs_no_rate():
    assert TABLE.convert(D("12.5"), "JPY", "JPY", dt.date(1990, 1, 1)) == Converted(D("12"), None)
    assert TABLE.convert(D("-12.50"), "EUR", "EUR", SAT) == Converted(D("-12.50"), None)


def test_halves_round_to_even_in_the_target_currencys_minor_units():
    table = RateTable([Rate(FRI, "JPY", D("1.5")), Rate(FRI, "USD", D("1.5"))])
    assert table.convert(D("3"), "EUR", "JPY", FRI).amount == D("4")  # 4.5
    assert table.convert(D("5"), "EUR", "JPY", FRI).amount == D("8")  # 7.5
    assert table.convert(D("-3"), "EUR", "JPY", FRI).amount == D("-4")
    assert table.convert(D("0.01"), "EUR", "USD", FRI).amount == D("0.02")  # 0.015


def test_a_currency_without_rates_is_missing():
    assert TABLE.convert(D("1.00"), "EUR", "ARS", MON) == MissingRate("ARS", MON)
    assert TABLE.convert(D("1.00"), "ARS", "USD", MON) == MissingRate("ARS", MON)


def test_a_day_before_the_first_rate_is_missing():
    missing = TABLE.convert(D("1.00"), "USD", "EUR", dt.date(2024, 5, 9))
    assert missing == MissingRate("USD", dt.date(2024, 5, 9))
    assert str(missing) == "no USD exchange rate on or before 2024-05-09"


def test_a_rate_too_old_is_missing_and_says_which_it_was():
    day = MON + dt.timedelta(days=8)
    missing = TABLE.convert(D("1.00"), "EUR", "USD", day)
    assert missing == MissingRate("USD", day, MON)
    assert "2024-05-13" in str(missing) and missing.to_json()["date"] == "2024-05-21"
    patient = RateTable([Rate(MON, "USD", D("1.0785"))], max_age=dt.timedelta(days=30))
    assert patient.convert(D("1.00"), "EUR", "USD", day) == Converted(D("1.08"), MON)


def test_a_later_rate_of_the_same_day_replaces_the_earlier():
    table = RateTable([Rate(FRI, "USD", D("9.99")), Rate(FRI, "USD", D("1.0773"))])
    assert table.convert(D("1.00"), "EUR", "USD", FRI).amount == D("1.08")
    assert len(table) == 1 and table.currencies() == ["USD"]


def test_a_rate_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        RateTable([Rate(FRI, "USD", D("0"))])


def test_a_converted_total_is_the_sum_of_the_converted_items():
    table = RateTable([Rate(FRI, "USD", D("1.5"))])
    items = [(D("0.01"), "EUR", FRI)] * 3  # each 0.015 -> 0.02; the total converted once would be 0.04
    total = convert_total(table, items, "USD")
    assert total.amount == D("0.06")
    assert (total.first_rate_date, total.last_rate_date, total.missing) == (FRI, FRI, ())


def test_a_converted_total_names_its_rate_dates_and_mixes_currencies():
    items = [(D("100.00"), "EUR", SAT), (D("107.85"), "USD", MON), (D("5.00"), "EUR", MON)]
    total = convert_total(TABLE, items, "EUR")
    assert total.amount == D("205.00")
    assert (total.first_rate_date, total.last_rate_date) == (MON, MON)


def test_a_total_with_a_missing_rate_is_not_given_and_each_missing_rate_is_named_once():
    items = [(D("1.00"), "USD", MON), (D("2.00"), "ARS", MON), (D("3.00"), "ARS", MON), (D("4.00"), "ARS", FRI)]
    total = convert_total(TABLE, items, "EUR")
    assert total.amount is None
    assert total.missing == (MissingRate("ARS", FRI), MissingRate("ARS", MON))
