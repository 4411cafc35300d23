import datetime as dt
from decimal import Decimal

import pytest

from shared.adapters.bankfiles import CsvOptions, ParsedRow, RowError, UnreadableFile, parse

D = dt.date


def rows_of(text: str, **options: str) -> list[ParsedRow]:
    parsed = parse(text.encode(), format="csv", csv=CsvOptions(**options))
    assert parsed.errors == []
    return parsed.rows


def test_german_export_with_bom_semicolons_decimal_comma_and_account_lines_above_the_header(sample):
    parsed = parse(sample("csv_de_semicolon_bom.csv"))

    assert parsed.format == "csv"
    assert parsed.currency == "EUR"
    assert parsed.errors == []
    assert parsed.rows == [
        ParsedRow(6, D(2026, 3, 2), Decimal("-4.35"), "EUR", "Bäckerei Müller", "Kartenzahlung Brötchen", None),
        ParsedRow(7, D(2026, 3, 2), Decimal("-4.35"), "EUR", "Bäckerei Müller", "Kartenzahlung Brötchen", None),
        ParsedRow(8, D(2026, 3, 3), Decimal("3250.00"), "EUR", "Muster Software GmbH", "Gehalt März 2026", None),
        ParsedRow(
            9,
            D(2026, 3, 4),
            Decimal("-1150.00"),
            "EUR",
            "Hausverwaltung Schön & Partner",
            "Miete März Whg. 4 links",
            None,
        ),
        ParsedRow(10, D(2026, 3, 6), Decimal("-23.99"), "EUR", "REWE Markt GmbH", "Lastschrift Einkauf 06.03.", None),
        ParsedRow(
            11, D(2026, 3, 9), Decimal("-86.50"), "EUR", "Stadtwerke München", "Abschlag Strom/Gas 03/2026", None
        ),
    ]


def test_english_export_with_debit_and_credit_columns_and_a_transaction_id(sample):
    parsed = parse(sample("csv_en_debit_credit.csv"))

    assert parsed.currency is None
    assert parsed.rows == [
        ParsedRow(
            2, D(2026, 3, 2), Decimal("-5.75"), None, "Blue Bottle Coffee", "CARD PURCHASE 03/01", "TX-20260302-0001"
        ),
        ParsedRow(3, D(2026, 3, 2), Decimal("2480.00"), None, "Acme Corp", "PAYROLL MARCH", "TX-20260302-0002"),
        ParsedRow(
            4,
            D(2026, 3, 13),
            Decimal("-84.12"),
            None,
            "Whole Foods Market",
            "CARD PURCHASE, GROCERIES",
            "TX-20260313-0003",
        ),
        ParsedRow(5, D(2026, 3, 15), Decimal("-1650.00"), None, "Landlord LLC", "RENT MARCH", "TX-20260315-0004"),
        ParsedRow(6, D(2026, 3, 16), Decimal("-12.40"), None, "Café Olé", "CARD PURCHASE", "TX-20260316-0005"),
    ]


def test_latin1_file_keeps_its_umlauts(sample):
    parsed = parse(sample("csv_latin1.csv"))

    assert [(r.line, r.date, r.amount, r.payee, r.memo) for r in parsed.rows] == [
        (2, D(2026, 3, 2), Decimal("-4.35"), "Bäckerei Müller", "Brötchen"),
        (3, D(2026, 3, 4), Decimal("-89.00"), "Straßenbahn Köln", "Monatskarte März"),
        (4, D(2026, 3, 5), Decimal("15.00"), "Müller & Söhne", "Erstattung Auslagen"),
    ]


def test_windows_1252_euro_sign_and_utf16_excel_text_are_read():
    cp1252 = "Datum;Empfänger;Betrag\n02.03.2026;Café;-4,35 €\n".encode("cp1252")
    utf16 = "Date\tPayee\tAmount\n2026-03-02\tZoë\t-4.35\n".encode("utf-16")

    assert [(r.payee, r.amount) for r in parse(cp1252).rows] == [("Café", Decimal("-4.35"))]
    assert [(r.payee, r.amount) for r in parse(utf16).rows] == [("Zoë", Decimal("-4.35"))]


def test_dates_that_fit_both_day_and_month_orders_are_refused_until_date_format_says(sample):
    data = sample("csv_ambiguous_dates.csv")

    with pytest.raises(UnreadableFile, match=r"'03/04/2026' could be DD/MM or MM/DD: pass date_format"):
        parse(data)
    day_first = parse(data, csv=CsvOptions(date_format="DD/MM/YYYY")).rows
    month_first = parse(data, csv=CsvOptions(date_format="MM/DD/YYYY")).rows
    assert [r.date for r in day_first] == [D(2026, 4, 3), D(2026, 6, 5), D(2026, 8, 7)]
    assert [r.date for r in month_first] == [D(2026, 3, 4), D(2026, 5, 6), D(2026, 7, 8)]


@pytest.mark.parametrize("spelling", ["DD/MM/YYYY", "dd.mm.yyyy", "%d/%m/%Y", "TT.MM.JJJJ", "DMY"])
def test_date_format_spellings(sample, spelling):
    rows = parse(sample("csv_ambiguous_dates.csv"), csv=CsvOptions(date_format=spelling)).rows
    assert rows[0].date == D(2026, 4, 3)


def test_an_unknown_date_format_is_refused():
    with pytest.raises(UnreadableFile, match="date_format 'YYYY/DD' is not one of"):
        rows_of("Date,Amount\n2026-03-02,-1.00\n", date_format="YYYY/DD")


def test_one_day_above_twelve_settles_the_order_for_the_whole_file():
    rows = rows_of("Date,Amount\n02/03/2026,-1.00\n13/03/2026,-2.00\n")
    assert [r.date for r in rows] == [D(2026, 3, 2), D(2026, 3, 13)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02", D(2026, 3, 2)),
        ("2026-03-02 10:15:00", D(2026, 3, 2)),
        ("2026-03-02T23:59:00+01:00", D(2026, 3, 2)),
        ("20260302", D(2026, 3, 2)),
        ("02.03.2026", D(2026, 3, 2)),
        ("2.3.26", D(2026, 3, 2)),
    ],
)
def test_date_spellings_that_need_no_order(text, expected):
    assert rows_of(f"Date;Amount\n{text};-1,00\n")[0].date == expected


def test_bad_rows_are_named_by_line_and_the_good_rows_still_count(sample):
    parsed = parse(sample("csv_bad_rows.csv"))

    assert [(r.line, r.memo, r.amount) for r in parsed.rows] == [
        (2, "Gute Zeile", Decimal("-4.35")),
        (13, "Gute Zeile zwei", Decimal("1234.56")),
    ]
    assert parsed.errors == [
        RowError(3, "date '31.02.2026' does not exist"),
        RowError(4, "amount '12,3,4' is not a number written with ',' as the decimal mark"),
        RowError(5, "amount is empty"),
        RowError(6, "amount is zero: a booking needs an amount"),
        RowError(7, "amount -4.355: EUR amounts have at most 2 decimal places"),
        RowError(8, "date 1850-01-01 is outside 1900-01-01..2999-12-31"),
        RowError(9, "'XYZ' is not an ISO 4217 currency code"),
        RowError(10, "the row has 2 fields; the header has 4"),
        RowError(11, "date is empty"),
    ]


def test_amounts_at_or_above_the_limit_are_row_errors():
    parsed = parse(b"Date;Amount\n2026-03-02;1.000.000.000.000,00\n2026-03-03;999.999.999.999,99\n")
    assert parsed.errors == [
        RowError(2, "amount 1000000000000.00 is too large: amounts must be below 1,000,000,000,000")
    ]
    assert parsed.rows[0].amount == Decimal("999999999999.99")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('"1,234.56"', Decimal("1234.56")),
        ('"-1,234,567.80"', Decimal("-1234567.80")),
        ("12.50-", Decimal("-12.50")),
        ("(12.50)", Decimal("-12.50")),
        ("+12.50", Decimal("12.50")),
        ("USD -12.50", Decimal("-12.50")),
        ("-$12.50", Decimal("-12.50")),
        ("1'234.50", Decimal("1234.50")),
        ("\u22124.35", Decimal("-4.35")),
    ],
)
def test_amount_spellings_with_a_decimal_point(cell, expected):
    assert rows_of(f"Date,Amount\n2026-03-02,{cell}\n2026-03-03,-0.99\n")[0].amount == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1.234,56", Decimal("1234.56")), ("-4,35 €", Decimal("-4.35")), ("1 234,56", Decimal("1234.56"))],
)
def test_amount_spellings_with_a_decimal_comma(cell, expected):
    assert rows_of(f"Datum;Betrag\n02.03.2026;{cell}\n03.03.2026;-0,99\n")[0].amount == expected


def test_amounts_that_could_use_either_mark_are_refused_until_decimal_says():
    data = b"Date;Amount\n2026-03-02;1,500\n2026-03-03;2,250\n"

    with pytest.raises(UnreadableFile, match=r"'1,500' could use ',' or '\.' as the decimal mark: pass decimal"):
        parse(data)
    assert [r.amount for r in parse(data, csv=CsvOptions(decimal=",")).rows] == [Decimal("1.5"), Decimal("2.25")]
    assert [r.amount for r in parse(data, csv=CsvOptions(decimal=".")).rows] == [Decimal(1500), Decimal(2250)]


def test_a_row_must_not_fill_both_debit_and_credit():
    parsed = parse(b"Date,Debit,Credit\n2026-03-02,5.00,3.00\n2026-03-03,,\n2026-03-04,-5.00,\n")
    assert parsed.errors == [
        RowError(2, "both debit '5.00' and credit '3.00' have an amount"),
        RowError(3, "neither debit nor credit has an amount"),
    ]
    assert parsed.rows[0].amount == Decimal("-5.00")  # a debit written negative is still money out


def test_columns_with_unusual_names_are_mapped_by_the_options():
    data = "When|Who|What|How much|Bank id\n2026-03-02|Kiosk|Zeitung|-2.80|K-1\n"

    with pytest.raises(UnreadableFile, match="name the columns with date_column and amount_column"):
        rows_of(data, delimiter="|")
    rows = rows_of(
        data,
        delimiter="|",
        date_column="when",
        amount_column="HOW MUCH",
        payee_column="Who",
        description_column="What",
        reference_column="Bank id",
    )
    assert rows == [ParsedRow(2, D(2026, 3, 2), Decimal("-2.80"), None, "Kiosk", "Zeitung", "K-1")]


def test_a_mapped_column_that_is_not_there_is_named():
    with pytest.raises(
        UnreadableFile, match=r"amount_column 'Sum' is not in the header, whose columns are 'Date', 'Amount'"
    ):
        rows_of("Date,Amount\n2026-03-02,-1.00\n", amount_column="Sum")


def test_mapped_debit_and_credit_columns_replace_a_recognised_amount_column():
    rows = rows_of("Date,Amount,Out,In\n2026-03-02,99.00,4.00,\n", debit_column="Out", credit_column="In")
    assert rows[0].amount == Decimal("-4.00")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"amount_column": "A", "debit_column": "B", "credit_column": "C"}, "either amount_column or debit_column"),
        ({"debit_column": "B"}, "map debit_column and credit_column together"),
        ({"delimiter": "#"}, "delimiter '#' must be"),
        ({"decimal": "x"}, "decimal 'x' must be"),
    ],
)
def test_contradictory_or_unknown_options_are_refused(options, message):
    with pytest.raises(UnreadableFile, match=message):
        rows_of("Date,Amount\n2026-03-02,-1.00\n", **options)


def test_a_reference_column_is_description_unless_mapped_as_the_banks_id():
    data = "Date,Amount,Reference\n2026-03-02,-9.99,NETFLIX MONTHLY\n"

    assert rows_of(data)[0].memo == "NETFLIX MONTHLY"
    assert rows_of(data)[0].reference is None
    assert rows_of(data, reference_column="Reference")[0].reference == "NETFLIX MONTHLY"


@pytest.mark.parametrize(
    "header",
    [
        "Buchungstag;Wertstellung;Beguenstigter/Zahlungspflichtiger;Verwendungszweck;Soll;Haben;Währung",
        "BUCHUNGSDATUM;Valuta;BEGÜNSTIGTER / ZAHLUNGSPFLICHTIGER;Buchungstext;Soll (EUR);Haben (EUR);Waehrung",
    ],
)
def test_german_headers_are_recognised_whatever_their_case_accents_and_units(header):
    rows = rows_of(f"{header}\n02.03.2026;03.03.2026;Kiosk;Zeitung;2,80;;EUR\n03.03.2026;;Oma;Geschenk;;50,00;EUR\n")
    assert [(r.date, r.payee, r.memo, r.amount, r.currency) for r in rows] == [
        (D(2026, 3, 2), "Kiosk", "Zeitung", Decimal("-2.80"), "EUR"),
        (D(2026, 3, 3), "Oma", "Geschenk", Decimal("50.00"), "EUR"),
    ]


def test_tab_delimited_file_and_a_quoted_field_spanning_lines_keep_line_numbers():
    data = 'Date\tDescription\tAmount\n2026-03-02\t"two\nlines"\t-1.00\n2026-03-03\tnext\t-2.00\n'
    rows = rows_of(data)
    assert [(r.line, r.memo) for r in rows] == [(2, "two lines"), (4, "next")]


def test_text_is_trimmed_cleared_of_nul_and_cut_to_500_characters():
    long_memo = "x" * 600
    row = rows_of(f"Date,Payee,Description,Amount\n2026-03-02,  Ki\x00osk   am  Eck ,{long_memo},-1.00\n")[0]
    assert row.payee == "Kiosk am Eck"
    assert row.memo == "x" * 500


def test_a_file_without_a_recognisable_header_says_what_it_looked_for():
    with pytest.raises(UnreadableFile, match=r"no header row with a date and an amount column .* 'Foo', 'Bar'"):
        parse(b"Foo,Bar\n1,2\n", format="csv")


def test_an_empty_file_is_unreadable():
    with pytest.raises(UnreadableFile, match="empty"):
        parse(b"\xef\xbb\xbf  \n", format="csv")


def test_blank_lines_between_rows_are_not_errors():
    parsed = parse(b"Date,Amount\n\n2026-03-02,-1.00\n,\n\n2026-03-03,-2.00\n")
    assert parsed.errors == []
    assert [r.line for r in parsed.rows] == [3, 6]


def test_an_unclosed_quote_is_named_with_the_lines_it_swallowed():
    parsed = parse(b'Date,Description,Amount\n2026-03-02,"ok,-1.00\n2026-03-03,next,-2.00\n2026-03-04,last,-3.00\n')
    assert parsed.rows == []
    assert parsed.errors == [
        RowError(
            2, "the row has 2 fields; the header has 3; a quoted field runs from line 2 to line 4: check its quotes"
        )
    ]
