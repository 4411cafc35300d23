"""Month arithmetic and periods: whole months and the partial days at either edge."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.domain.calendar import check_month, is_month, month_end, month_window, shift_month, split_period

D = dt.date


@pytest.mark.parametrize(
    "start,end,months,edges",
    [
        (D(2026, 1, 1), D(2026, 3, 31), ("2026-01", "2026-03"), []),
        (D(2026, 1, 15), D(2026, 3, 31), ("2026-02", "2026-03"), [(D(2026, 1, 15), D(2026, 1, 31))]),
        (D(2026, 1, 1), D(2026, 3, 30), ("2026-01", "2026-02"), [(D(2026, 3, 1), D(2026, 3, 30))]),
        (D(2026, 1, 15), D(2026, 2, 10), None, [(D(2026, 1, 15), D(2026, 2, 10))]),
        (D(2026, 2, 3), D(2026, 2, 3), None, [(D(2026, 2, 3), D(2026, 2, 3))]),
        (D(2024, 2, 1), D(2024, 2, 29), ("2024-02", "2024-02"), []),
        (D(2025, 12, 31), D(2026, 1, 1), None, [(D(2025, 12, 31), D(2026, 1, 1))]),
        (
            D(2025, 12, 31),
            D(2026, 2, 1),
            ("2026-01", "2026-01"),
            [(D(2025, 12, 31), D(2025, 12, 31)), (D(2026, 2, 1), D(2026, 2, 1))],
        ),
    ],
)
def test_a_period_splits_into_whole_months_and_edges(start, end, months, edges):
    assert split_period(start, end) == (months, edges)


def test_every_day_of_a_period_is_covered_exactly_once():
    for start in (D(2025, 11, 1) + dt.timedelta(days=i) for i in range(0, 120, 7)):
        for length in (0, 1, 27, 31, 45, 90):
            end = start + dt.timedelta(days=length)
            months, edges = split_period(start, end)
            days = [d for lo, hi in edges for d in (lo + dt.timedelta(n) for n in range((hi - lo).days + 1))]
            if months:
                m = months[0]
                while m <= months[1]:
                    first = D(int(m[:4]), int(m[5:]), 1)
                    days += [
                        first + dt.timedelta(n) for n in range(40) if (first + dt.timedelta(n)).month == first.month
                    ]
                    m = shift_month(m, 1)
            assert sorted(days) == [start + dt.timedelta(n) for n in range(length + 1)]


def test_month_arithmetic_crosses_years():
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 1) == "2026-01"
    assert month_window("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize("text", ["2026-11", "1900-01", "2999-12"])
def test_months_are_four_ascii_digits_a_dash_and_a_month(text):
    assert is_month(text)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026-11\n", "٢٠٢٦-11", "2026-１1", " 2026-11"]
)
def test_anything_else_is_not_a_month(text):
    # `\d` would take other scripts' digits and `$` a trailing newline: MySQL then refuses what was accepted.
    assert not is_month(text)


@pytest.mark.parametrize("text", ["0000-01", "1899-12", "3000-01", "9999-12"])
def test_months_outside_the_years_of_booking_dates_are_refused(text):
    # A window of months back from year 0 has no month before it: net-worth?until=0000-01 answered 500.
    with pytest.raises(ValueError, match="1900 to 2999"):
        check_month(text)
    assert month_end("2999-12") == dt.date(2999, 12, 31)
    assert month_window("1900-01", 120)[0] == "1890-02"  # the oldest window still has real months
