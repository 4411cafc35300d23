import datetime as dt
from decimal import Decimal

import pytest

from shared.adapters.bankfiles import ParsedRow, RowError, UnreadableFile, parse

D = dt.date


def test_ofx1_sgml_bank_statement_in_windows_1252(sample):
    parsed = parse(sample("ofx1_bank.ofx"))

    assert (parsed.format, parsed.currency, parsed.errors) == ("ofx", "EUR", [])
    assert parsed.rows == [
        # DTPOSTED 20260302000000[+1:CET] is midnight in Berlin: the booking day stays the 2nd, not UTC's 1st.
        ParsedRow(
            39, D(2026, 3, 2), Decimal("-4.35"), "EUR", "Bäckerei Müller", "Kartenzahlung Brötchen", "2026030200001"
        ),
        ParsedRow(
            47, D(2026, 3, 3), Decimal("3250.00"), "EUR", "Muster Software GmbH", "Gehalt März 2026", "2026030300002"
        ),
        ParsedRow(55, D(2026, 3, 4), Decimal("-1150.00"), "EUR", "Schön & Partner", "Miete März", "2026030400003"),
        ParsedRow(
            63, D(2026, 3, 9), Decimal("-86.50"), "EUR", "Stadtwerke München", "Abschlag Strom/Gas", "2026030900004"
        ),
    ]


def test_ofx2_xml_credit_card_statement(sample):
    parsed = parse(sample("ofx2_creditcard.ofx"))

    assert (parsed.format, parsed.currency, parsed.errors) == ("ofx", "USD", [])
    assert parsed.rows == [
        ParsedRow(21, D(2026, 3, 5), Decimal("-42.17"), "USD", "SHELL OIL 5744", "Fuel", "CC-0305-7781"),
        ParsedRow(29, D(2026, 3, 11), Decimal("-129.99"), "USD", "Zoë's Bücherstube", None, "CC-0311-7790"),
        ParsedRow(43, D(2026, 3, 20), Decimal("500.00"), "USD", "PAYMENT - THANK YOU", None, "CC-0320-7802"),
        ParsedRow(50, D(2026, 3, 28), Decimal("-8.50"), "USD", "AT&T WIRELESS", "Roaming add-on", "CC-0328-7815"),
    ]


def test_qfx_from_quicken_reads_as_ofx(sample):
    parsed = parse(sample("qfx_bank.qfx"), format="qfx")

    assert (parsed.format, parsed.currency, parsed.errors) == ("ofx", "USD", [])
    assert parsed.rows == [
        ParsedRow(45, D(2026, 3, 2), Decimal("-5.75"), "USD", "BLUE BOTTLE COFFEE", "POS PURCHASE", "QFX2026030201"),
        ParsedRow(53, D(2026, 3, 2), Decimal("2480.00"), "USD", "ACME CORP PAYROLL", None, "QFX2026030202"),
        ParsedRow(60, D(2026, 3, 15), Decimal("-1650.00"), "USD", "CHECK 1042", "Rent March", "QFX2026031503"),
        ParsedRow(68, D(2026, 3, 16), Decimal("-12.40"), "USD", "CAFÉ OLÉ", "POS PURCHASE", "QFX2026031604"),
    ]


def test_bad_transactions_are_named_by_the_line_of_their_stmttrn(sample):
    parsed = parse(sample("ofx_bad_rows.ofx"))

    assert [(r.line, r.reference, r.amount) for r in parsed.rows] == [
        (39, "B1", Decimal("-4.35")),
        (67, "B5", Decimal("15.00")),  # a decimal comma, as some banks write TRNAMT
    ]
    assert parsed.errors == [
        RowError(46, "DTPOSTED '2026-03-03' is not an OFX date such as 20260302"),
        RowError(53, "TRNAMT '12,3,4' is not a number"),
        RowError(60, "amount -1.999: EUR amounts have at most 2 decimal places"),
    ]


def test_a_file_cut_short_is_refused_rather_than_read_in_part(sample):
    data = sample("ofx1_bank.ofx")
    with pytest.raises(UnreadableFile, match="cut short"):
        parse(data[: data.rindex(b"<STMTTRN>")], format="ofx")


def test_a_byte_order_mark_before_an_ofx2_file_is_ignored(sample):
    assert len(parse(b"\xef\xbb\xbf" + sample("ofx2_creditcard.ofx")).rows) == 4


def test_statements_of_two_accounts_in_one_file_are_refused(sample):
    data = sample("ofx2_creditcard.ofx")
    start, end = data.index(b"<CCSTMTTRNRS>"), data.index(b"</CCSTMTTRNRS>") + len(b"</CCSTMTTRNRS>")
    second = data[start:end].replace(b"4111111111111111", b"5500000000000004")
    with pytest.raises(UnreadableFile, match="statements of 2 accounts"):
        parse(data[:end] + second + data[end:])


def test_a_transaction_in_its_own_currency_keeps_it(sample):
    data = sample("ofx2_creditcard.ofx").replace(
        b"<MEMO>Fuel</MEMO>", b"<MEMO>Fuel</MEMO><CURRENCY><CURRATE>1.08</CURRATE><CURSYM>EUR</CURSYM></CURRENCY>"
    )
    assert [r.currency for r in parse(data).rows] == ["EUR", "USD", "USD", "USD"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"OFXHEADER:100\r\nDATA:OFXSGML\r\n\r\n<OFX></OFX>", "OFX header is missing or malformed"),
        (b"<?xml version='1.0'?><OFX></OFX>", "OFX header is missing or malformed"),
    ],
)
def test_a_broken_header_is_unreadable(data, message):
    with pytest.raises(UnreadableFile, match=message):
        parse(data, format="ofx")


def test_an_investment_only_file_has_no_statement_to_read(sample):
    data = sample("ofx2_creditcard.ofx").replace(b"CCSTMTRS>", b"INVSTMTRS>")
    with pytest.raises(UnreadableFile, match="no bank or credit-card statement"):
        parse(data)
