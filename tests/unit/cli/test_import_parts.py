"""A large file cut into parts of whole days imports exactly as the whole would: the same rows on the same lines,
and the same derived ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.commands.import_parts import PART_PARAMS, split_by_day
from shared.adapters.bankfiles import CsvOptions, parse
from shared.domain.imports import import_ids

DATA = Path(__file__).resolve().parents[2] / "data" / "bankfiles"
PART_CSV = CsvOptions(**{k: v for k, v in PART_PARAMS.items() if k != "format"})
# The same reference on two days is no id (it would fold two bookings into one): it must stay no id in the parts.
REPEATED = (
    b"Date;Amount;Payee;Transaction ID\n"
    b"2026-03-01;-3.20;Bakery;R-1\n"
    b"2026-03-01;-3.20;Bakery;R-2\n"
    b"2026-03-02;-3.20;Bakery;R-1\n"
    b'2026-03-02;-12.00;"Shop; ""Corner""";\n'
    b"2026-03-03;100.00;Employer;R-9\n"
)


def ids_by_line(rows) -> dict[int, object]:
    return dict(zip([r.line for r in rows], import_ids(rows, user_id="u", account_id="a"), strict=True))


@pytest.mark.parametrize(
    ("data", "options"),
    [
        ((DATA / "csv_de_semicolon_bom.csv").read_bytes(), CsvOptions()),
        ((DATA / "ofx1_bank.ofx").read_bytes(), CsvOptions()),
        ((DATA / "qif_overlap_2.qif").read_bytes(), CsvOptions()),
        (REPEATED, CsvOptions(reference_column="Transaction ID")),
    ],
)
def test_parts_hold_whole_days_on_their_lines_with_the_files_ids(data, options):
    whole = parse(data, csv=options).rows
    parts = list(split_by_day(whole, max_bytes=400, max_rows=2))
    assert len(parts) > 1 and sum(n for _, n in parts) == len(whole)
    again, ids = [], {}
    for text, n in parts:
        rows = parse(text, format="csv", csv=PART_CSV).rows
        assert len(rows) == n and len(text) <= 400
        again += rows
        ids |= ids_by_line(rows)
    days = [[r.date for r in parse(t, format="csv", csv=PART_CSV).rows] for t, _ in parts]
    assert all(not set(a) & set(b) for a, b in zip(days, days[1:], strict=False))  # no day in two parts
    key = lambda r: (r.line, r.date, r.amount, r.payee, r.memo, r.currency)  # noqa: E731
    assert sorted(map(key, again)) == sorted(map(key, whole))
    assert ids == ids_by_line(whole)


def test_a_day_over_the_limit_alone_is_refused():
    rows = parse((DATA / "csv_overlap_2.csv").read_bytes()).rows  # two identical coffees on 8 March
    with pytest.raises(ValueError, match="2026-03-08"):
        list(split_by_day(rows, max_bytes=10_000, max_rows=1))
