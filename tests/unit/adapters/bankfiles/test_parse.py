import dataclasses

import pytest

from shared.adapters.bankfiles import UnreadableFile, detect_format, parse
from shared.domain.imports import import_ids


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("csv_de_semicolon_bom.csv", "csv"),
        ("csv_en_debit_credit.csv", "csv"),
        ("csv_latin1.csv", "csv"),
        ("ofx1_bank.ofx", "ofx"),
        ("ofx2_creditcard.ofx", "ofx"),
        ("qfx_bank.qfx", "ofx"),
        ("qif_bank.qif", "qif"),
        ("qif_bad_rows.qif", "qif"),
        ("camt053_v02.xml", "camt053"),
        ("camt053_v08.xml", "camt053"),
    ],
)
def test_each_sample_is_recognised(sample, name, expected):
    assert detect_format(sample(name)) == expected
    assert parse(sample(name)).format == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n...", "this is a PDF: export the statement as CSV, OFX, QIF or camt.053"),
        (b"PK\x03\x04\x14\x00", "Excel workbook"),
        (b"<html><body>Login</body></html>", "neither OFX nor an ISO 20022 camt.053 statement"),
        (b"Dear customer\nyour statement\n", "cannot be told from its start: pass format"),
    ],
)
def test_files_of_no_known_format_say_what_to_do(data, message):
    with pytest.raises(UnreadableFile, match=message):
        detect_format(data)


def test_a_csv_export_may_start_with_a_title_line():
    data = "Umsätze Girokonto\n\nBuchungstag;Betrag\n02.03.2026;-4,35\n".encode()
    assert detect_format(data) == "csv"
    assert parse(data).rows[0].line == 4


def test_an_unknown_format_name_is_refused(sample):
    with pytest.raises(UnreadableFile, match="format 'xlsx' must be auto, csv, ofx, qif, camt053"):
        parse(sample("csv_latin1.csv"), format="xlsx")


def test_a_named_format_that_does_not_fit_the_file_is_unreadable(sample):
    with pytest.raises(UnreadableFile):
        parse(sample("csv_latin1.csv"), format="ofx")


@pytest.mark.parametrize("kind", ["csv", "ofx", "qif", "camt053"])
def test_overlapping_statements_give_the_shared_days_the_same_rows_and_ids(sample, kind):
    ext = {"csv": "csv", "ofx": "ofx", "qif": "qif", "camt053": "xml"}[kind]
    first = parse(sample(f"{kind}_overlap_1.{ext}")).rows
    second = parse(sample(f"{kind}_overlap_2.{ext}")).rows
    first_ids = import_ids(first, user_id="user-1", account_id="acct-1")
    second_ids = import_ids(second, user_id="user-1", account_id="acct-1")

    def without_line(rows):
        return [dataclasses.replace(r, line=0) for r in rows]

    # 8-10 March are in both files: the last four rows of the first, the first four of the second.
    assert without_line(first[2:]) == without_line(second[:4])
    assert first_ids[2:] == second_ids[:4]
    assert len(set(first_ids) | set(second_ids)) == 8  # 2 + 4 shared + 2: the two coffees of the 8th stay two
    assert import_ids(parse(sample(f"{kind}_overlap_1.{ext}")).rows, user_id="user-1", account_id="acct-1") == (
        first_ids
    )
