"""Loading rates: every published form told apart by content, refusals naming line and cell, and the timer's
choice of file (the 90-day one after a missed run)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.rates.ecb import RateFileError
from shared.domain.rates import Rate
from shared.problems import Problem
from shared.services.rates import Rates

DATA = Path(__file__).parents[2] / "data" / "ecb"
DAILY, NINETY = "https://ecb.example/daily.xml", "https://ecb.example/90d.xml"


class FakeRateStore:
    """Keeps loads as given: (source, rates)."""

    def __init__(self) -> None:
        self.loads: list[tuple[str, list[Rate]]] = []

    def load(self, rates, *, source: str) -> int:
        self.loads.append((source, list(rates)))
        return len(self.loads)


@pytest.fixture
def store() -> FakeRateStore:
    return FakeRateStore()


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_the_daily_file_loads_its_six_rates_and_names_the_currency_left_out(store):
    answer = Rates(store=store).load_file(sample("eurofxref-daily.xml"))
    assert answer == {"loaded": 6, "first_day": "2024-05-17", "last_day": "2024-05-17", "ignored": ["HRK"]}
    ((source, rates),) = store.loads
    assert source == "upload"
    assert Rate(dt.date(2024, 5, 17), "JPY", Decimal("169.30")) in rates


@pytest.mark.parametrize("name", ["eurofxref-hist.csv", "eurofxref-hist.zip"])
def test_the_history_as_csv_or_zip_loads_every_published_cell(store, name):
    answer = Rates(store=store).load_file(sample(name))
    # 7 days of 6 usable currencies, less the one N/A (ISK on 2024-05-15); CYP is withdrawn.
    assert answer == {"loaded": 41, "first_day": "2024-05-08", "last_day": "2024-05-17", "ignored": ["CYP"]}


def test_a_bad_cell_is_a_422_naming_its_line_and_currency(store):
    bad = sample("eurofxref-hist.csv").replace(b"1.0847", b"1.08x7", 1)
    with pytest.raises(Problem) as refused:
        Rates(store=store).load_file(bad)
    assert refused.value.status == 422
    assert "line 3, USD" in refused.value.detail
    assert store.loads == []  # nothing of a bad file is stored


def test_an_xml_file_with_a_dtd_is_refused_unread(store):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(Problem) as refused:
        Rates(store=store).load_file(bomb)
    assert refused.value.status == 422 and "refused" in refused.value.detail
    assert store.loads == []


def test_a_rate_the_column_would_round_is_refused_not_rounded(store):
    bad = b"Date,USD,\n2024-05-17,1.00000000001,\n"
    with pytest.raises(Problem) as refused:
        Rates(store=store).load_file(bad)
    assert refused.value.status == 422 and "2024-05-17 USD" in refused.value.detail


def test_the_timer_loads_the_daily_file(store):
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return sample("eurofxref-daily.xml")

    answer = Rates(store=store, fetch=fetch, daily_url=DAILY, ninety_day_url=NINETY).load_published(past_due=False)
    assert asked == [DAILY]
    assert answer["loaded"] == 6
    assert [source for source, _ in store.loads] == ["ecb-daily"]


def test_after_a_missed_run_the_timer_loads_the_90_day_file_so_the_gap_heals(store):
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return sample("eurofxref-daily.xml")  # the 90-day file has the daily file's shape

    Rates(store=store, fetch=fetch, daily_url=DAILY, ninety_day_url=NINETY).load_published(past_due=True)
    assert asked == [NINETY]
    assert [source for source, _ in store.loads] == ["ecb-hist"]


def test_an_unreadable_published_file_fails_the_run_naming_the_url(store):
    rates = Rates(store=store, fetch=lambda url: b"<html>maintenance</html>", daily_url=DAILY, ninety_day_url=NINETY)
    with pytest.raises(RateFileError, match=DAILY):
        rates.load_published(past_due=False)
    assert store.loads == []


def test_the_timer_without_its_urls_says_which_settings_are_missing(store):
    with pytest.raises(RuntimeError, match="EcbDailyUrl"):
        Rates(store=store, fetch=lambda url: b"").load_published(past_due=False)
