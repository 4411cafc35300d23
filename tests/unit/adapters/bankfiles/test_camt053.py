import datetime as dt
from decimal import Decimal

import pytest

from shared.adapters.bankfiles import ParsedRow, RowError, UnreadableFile, parse

D = dt.date


def test_camt053_001_02_booked_entries_with_the_other_party_as_payee(sample):
    parsed = parse(sample("camt053_v02.xml"))

    assert (parsed.format, parsed.currency, parsed.errors) == ("camt053", "EUR", [])
    assert parsed.rows == [
        # AcctSvcrRef wins over NtryRef; money out names the creditor.
        ParsedRow(
            23, D(2026, 3, 2), Decimal("-4.35"), "EUR", "Bäckerei Müller", "Kartenzahlung Brötchen", "2026030212345601"
        ),
        # Money in names the debtor; Ustrd lines are joined.
        ParsedRow(
            42,
            D(2026, 3, 3),
            Decimal("3250.00"),
            "EUR",
            "Muster Software GmbH",
            "Gehalt März 2026 Personalnummer 4711",
            "2026030312345602",
        ),
        # BookgDt/DtTm at 23:30 CET keeps its own day; the reference sits in TxDtls/Refs.
        ParsedRow(
            64,
            D(2026, 3, 4),
            Decimal("-1150.00"),
            "EUR",
            "Hausverwaltung Schön & Partner",
            "Miete März Whg. 4 links",
            "2026030412345603",
        ),
        # The pending entry of 10 March is left out; a fee without details keeps AddtlNtryInf and NtryRef.
        ParsedRow(92, D(2026, 3, 9), Decimal("-2.90"), "EUR", None, "Kontoführungsentgelt", "2026030900005"),
    ]


def test_camt053_001_08_party_names_and_a_batch_booking(sample):
    parsed = parse(sample("camt053_v08.xml"))

    assert (parsed.format, parsed.currency, parsed.errors) == ("camt053", "CHF", [])
    assert parsed.rows == [
        ParsedRow(
            15,
            D(2026, 3, 5),
            Decimal("-89.40"),
            "CHF",
            "Migros Zürich HB",
            "Einkauf 05.03.2026 18:42",
            "ZKB-20260305-000187",
        ),
        ParsedRow(
            33, D(2026, 3, 25), Decimal("6200.00"), "CHF", "Rösti & Co AG", "Lohn März 2026", "ZKB-20260325-000942"
        ),
        # One booking of two payments: one row of the booked total, no single other party.
        ParsedRow(52, D(2026, 3, 27), Decimal("-1500.00"), "CHF", None, "Sammelauftrag 2 Zahlungen", "CH-0003"),
    ]


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_every_version_from_001_02_to_001_08_is_read(sample, version):
    data = sample("camt053_v02.xml").replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())
    assert len(parse(data).rows) == 4


def test_bad_entries_are_named_by_the_line_of_their_ntry(sample):
    parsed = parse(sample("camt053_bad_rows.xml"))

    assert [(r.line, r.reference, r.amount) for r in parsed.rows] == [
        (8, "BAD-001", Decimal("-4.35")),
        (62, "BAD-006", Decimal("15.00")),
    ]
    assert parsed.errors == [
        RowError(19, "amount '12,50' is not a number such as 12.50"),
        RowError(30, "CdtDbtInd '' must be CRDT (money in) or DBIT (money out)"),
        RowError(40, "booking date '04.03.2026' is not a date written YYYY-MM-DD"),
        RowError(51, "amount -100.5: JPY amounts have no decimal places"),
    ]


def test_entity_declarations_are_refused_before_any_expansion(sample):
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>'
    )
    external = sample("camt053_v02.xml").replace(
        b"<Document", b'<!DOCTYPE Document SYSTEM "file:///etc/passwd">\n<Document', 1
    )
    for data in (bomb, external):
        with pytest.raises(UnreadableFile, match="DOCTYPE"):
            parse(data, format="camt053")


def test_a_camt052_report_is_named_and_refused(sample):
    data = sample("camt053_v02.xml").replace(b"camt.053.001.02", b"camt.052.001.02")
    with pytest.raises(UnreadableFile, match="camt.052.001.02 is not read: export a camt.053 statement"):
        parse(data)


def test_a_truncated_file_is_not_well_formed_and_says_where(sample):
    data = sample("camt053_v02.xml")
    with pytest.raises(UnreadableFile, match=r"not well-formed at line \d+"):
        parse(data[:2000], format="camt053")


def test_statements_of_two_accounts_are_refused(sample):
    data = sample("camt053_v02.xml")
    start, end = data.index(b"<Stmt>"), data.index(b"</Stmt>") + len(b"</Stmt>")
    other = data[start:end].replace(b"DE89370400440532013000", b"DE02120300000000202051")
    with pytest.raises(UnreadableFile, match="statements of 2 accounts"):
        parse(data[:end] + other + data[end:])


def test_an_xml_file_of_another_kind_is_not_a_statement():
    data = b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>'
    with pytest.raises(UnreadableFile, match="not an ISO 20022 camt.053 statement"):
        parse(data, format="camt053")
