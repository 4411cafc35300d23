"""The ECB's reference-rate files as published: daily XML, historical CSV and its zip; hostile XML refused."""

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.rates.ecb import MAX_BYTES, RateFileError, parse, parse_csv, parse_xml, parse_zip
from shared.domain.rates import Converted, MissingRate, Rate, RateTable

DATA = Path(__file__).parents[3] / "data" / "ecb"
D = Decimal


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_daily_xml_gives_each_rate_of_the_day_exactly_as_published():
    read = parse_xml(sample("eurofxref-daily.xml"))
    day = dt.date(2024, 5, 17)
    assert Rate(day, "USD", D("1.0866")) in read.rates
    assert Rate(day, "JPY", D("169.30")) in read.rates
    assert {r.currency for r in read.rates} == {"USD", "JPY", "GBP", "CHF", "ISK", "KWD"}
    assert read.days() == (day, day)


def test_a_withdrawn_currency_is_left_out_and_named():
    assert parse_xml(sample("eurofxref-daily.xml")).ignored == ("HRK",)
    assert parse_csv(sample("eurofxref-hist.csv")).ignored == ("CYP",)


def test_the_historical_csv_skips_na_cells_and_the_trailing_empty_column():
    read = parse_csv(sample("eurofxref-hist.csv"))
    assert read.days() == (dt.date(2024, 5, 8), dt.date(2024, 5, 17))
    assert len({r.day for r in read.rates}) == 7
    isk_days = {r.day for r in read.rates if r.currency == "ISK"}
    assert dt.date(2024, 5, 15) not in isk_days and len(isk_days) == 6
    assert Rate(dt.date(2024, 5, 8), "KWD", D("0.33064")) in read.rates


def test_the_zip_holds_the_same_rates_as_the_csv():
    assert parse_zip(sample("eurofxref-hist.zip")) == parse_csv(sample("eurofxref-hist.csv"))


@pytest.mark.parametrize("name", ["eurofxref-daily.xml", "eurofxref-hist.csv", "eurofxref-hist.zip"])
def test_any_published_file_is_recognised_by_its_content(name):
    assert parse(sample(name)).rates


def test_the_sample_history_converts_across_its_gap_day_weekend_and_na():
    table = RateTable(parse(sample("eurofxref-hist.zip")).rates)
    assert table.convert(D("100.00"), "EUR", "USD", dt.date(2024, 5, 9)) == Converted(D("107.55"), dt.date(2024, 5, 8))
    assert table.convert(D("100.00"), "EUR", "USD", dt.date(2024, 5, 12)).rate_date == dt.date(2024, 5, 10)
    assert table.convert(D("100"), "ISK", "EUR", dt.date(2024, 5, 15)).rate_date == dt.date(2024, 5, 14)
    assert table.convert(D("100.00"), "EUR", "USD", dt.date(2024, 5, 7)) == MissingRate("USD", dt.date(2024, 5, 7))


def test_a_csv_without_the_date_header_is_refused():
    with pytest.raises(RateFileError, match="header"):
        parse_csv(b"Day,USD\n2024-05-17,1.0866\n")


@pytest.mark.parametrize(
    ("row", "where"),
    [(b"17/05/2024,1.0866,", "line 2"), (b"2024-05-17,1;0866,", "line 2, USD"), (b"2024-05-17,0,", "line 2, USD")],
)
def test_a_bad_cell_is_refused_naming_its_line(row, where):
    with pytest.raises(RateFileError, match=where):
        parse_csv(b"Date,USD,\n" + row + b"\n")


def test_a_file_with_no_rates_is_refused():
    with pytest.raises(RateFileError, match="no rates"):
        parse_csv(b"Date,USD,\n2024-05-17,N/A,\n")


def test_xml_with_a_dtd_is_refused_before_any_entity_is_expanded():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">&lol2;</gesmes:Envelope>'
    )
    with pytest.raises(RateFileError, match="refused"):
        parse_xml(laughs)


def test_xml_naming_an_external_entity_is_refused():
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(RateFileError, match="refused"):
        parse(external)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"<Envelope/>", "root"), (b"<gesmes:Envelope", "well-formed"), (b"<a><b></a>", "well-formed")],
)
def test_xml_that_is_not_an_ecb_file_is_refused(data, reason):
    with pytest.raises(RateFileError, match=reason):
        parse_xml(data)


def test_a_zip_must_hold_exactly_one_csv():
    with pytest.raises(RateFileError, match="2 CSV"):
        parse_zip(zipped(("a.csv", b"Date,USD,\n"), ("b.csv", b"Date,USD,\n")))
    with pytest.raises(RateFileError, match="cannot be read"):
        parse_zip(b"PK\x03\x04 not really a zip")


def test_a_zip_that_unpacks_to_more_than_an_ecb_file_is_refused_without_unpacking_it_all():
    bomb = zipped(("eurofxref-hist.csv", b"Date,USD,\n" + b"0" * MAX_BYTES))
    assert len(bomb) < 100_000
    with pytest.raises(RateFileError, match="larger than"):
        parse_zip(bomb)


def test_a_file_far_larger_than_any_ecb_file_is_refused_unread():
    with pytest.raises(RateFileError, match="far fewer"):
        parse(b"Date,USD,\n" + b" " * MAX_BYTES)


@pytest.mark.parametrize(
    "data,line",
    [(b"a" * 200_000, 1), (b"Date,USD\n" + b"1" * 200_000, 2), (b"Date,USD\r2024-01-01,1\r", 1)],
)
def test_csv_the_csv_module_cannot_read_is_refused_naming_the_line(data, line):
    with pytest.raises(RateFileError, match=f"^line {line}: the CSV cannot be read"):
        parse(data)
