import datetime as dt
from decimal import Decimal

import pytest

from shared.adapters.bankfiles import CsvOptions, ParsedRow, RowError, UnreadableFile, parse

D = dt.date


def test_quicken_bank_account_with_apostrophe_years_splits_and_cheque_numbers(sample):
    parsed = parse(sample("qif_bank.qif"))

    assert (parsed.format, parsed.currency, parsed.errors) == ("qif", None, [])
    assert parsed.rows == [
        ParsedRow(2, D(2026, 3, 2), Decimal("-5.75"), None, "Blue Bottle Coffee", "Card purchase", None),
        # N holds DEP and ATM too: words that repeat every month are not the bank's reference.
        ParsedRow(7, D(2026, 3, 2), Decimal("2480.00"), None, "Acme Corp", "Payroll March", None),
        ParsedRow(14, D(2026, 3, 15), Decimal("-1650.00"), None, "Landlord LLC", "Rent March", "1042"),
        ParsedRow(21, D(2026, 3, 16), Decimal("-12.40"), None, "Café Olé", None, None),
        ParsedRow(27, D(2026, 3, 20), Decimal("-84.12"), None, "Whole Foods Market", None, None),  # total of splits
    ]


def test_bad_records_are_named_by_their_first_line(sample):
    parsed = parse(sample("qif_bad_rows.qif"))

    assert [(r.line, r.payee) for r in parsed.rows] == [(2, "Blue Bottle Coffee"), (20, "Café Olé")]
    assert parsed.errors == [
        RowError(6, "date '02/30/2026' does not exist"),
        RowError(10, "amount '12.3.4x' is not a number"),
        RowError(14, "the record has no date (a D line)"),
        RowError(17, "the record has no amount (a T line)"),
    ]


def test_european_qif_with_dotted_dates_and_decimal_comma(sample):
    rows = parse(sample("qif_overlap_1.qif")).rows
    assert [(r.date, r.amount, r.payee) for r in rows[:2]] == [
        (D(2026, 3, 1), Decimal("-3.20"), "Bäckerei Müller"),
        (D(2026, 3, 4), Decimal("3250.00"), "Muster Software GmbH"),
    ]


def test_u_amount_stands_in_when_t_is_missing():
    rows = parse(b"!Type:Cash\nD2026-03-02\nU-7.10\nPMarket\n^\n").rows
    assert [(r.amount, r.payee) for r in rows] == [(Decimal("-7.10"), "Market")]


def test_ambiguous_qif_dates_need_date_format():
    data = b"!Type:Bank\nD03/04/2026\nT-1.00\n^\nD05/06/2026\nT-2.00\n^\n"

    with pytest.raises(UnreadableFile, match="could be DD/MM or MM/DD: pass date_format"):
        parse(data)
    rows = parse(data, csv=CsvOptions(date_format="DD/MM/YYYY")).rows
    assert [r.date for r in rows] == [D(2026, 4, 3), D(2026, 6, 5)]


def test_category_lists_are_skipped_and_a_last_record_without_caret_counts():
    data = b"!Type:Cat\nNFood\nE\n^\n!Type:Bank\r\nD3/20'26\r\nT-1.50\r\nPKiosk\r\n"
    assert [(r.line, r.payee) for r in parse(data).rows] == [(6, "Kiosk")]


def test_investment_accounts_are_not_read():
    with pytest.raises(UnreadableFile, match=r"no bank, credit-card or cash account \(found invst\)"):
        parse(b"!Type:Invst\nD3/2'26\nNBuy\nYACME\nI10.00\nQ5\nT50.00\n^\n")


def test_two_accounts_in_one_file_are_refused():
    data = (
        b"!Account\nNChecking\nTBank\n^\n!Type:Bank\nD3/2'26\nT-1.00\n^\n"
        b"!Account\nNVisa\nTCCard\n^\n!Type:CCard\nD3/3'26\nT-2.00\n^\n"
    )
    with pytest.raises(UnreadableFile, match="holds 2 accounts"):
        parse(data)


def test_records_before_any_type_line_are_unreadable():
    with pytest.raises(UnreadableFile, match=r"line 1: a QIF file starts with a line such as !Type:Bank"):
        parse(b"D3/2'26\nT-1.00\n^\n", format="qif")
