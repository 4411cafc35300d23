"""A bank file too large for one request, cut into parts at day boundaries that import exactly as the whole would.

Each part is a plain CSV the server reads with an explicit mapping. Its rows keep their derived ids: every row of
a day travels in the same part, in file order, so the occurrence numbers of identical rows are the file's, and a
reference found on several rows of the whole file (no id, shared.domain.imports.usable_references) is left out.
Each row sits on its own line number of the original file (blank lines, which a CSV reader skips, fill the gaps),
so whatever the server says about a line names the line of the file the person has.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence

from shared.adapters.bankfiles import ParsedRow
from shared.domain.imports import usable_references

COLUMNS = ("date", "amount", "payee", "memo", "reference", "currency")
PART_PARAMS = {
    "format": "csv",
    "delimiter": ";",
    "decimal": ".",
    "date_format": "YYYY-MM-DD",
    "date_column": "date",
    "amount_column": "amount",
    "payee_column": "payee",
    "description_column": "memo",
    "reference_column": "reference",
    "currency_column": "currency",
}


def _lines(rows: Sequence[ParsedRow], references: dict[int, str | None]) -> list[tuple[int, str]]:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    lines = []
    for row in rows:
        cells = (row.date.isoformat(), format(row.amount, "f"), row.payee, row.memo, references[row.line], row.currency)
        writer.writerow(["" if c is None else c for c in cells])
        lines.append((row.line, out.getvalue()))
        out.seek(0)
        out.truncate()
    return lines


def _text(lines: list[tuple[int, str]]) -> bytes:
    header = ";".join(COLUMNS) + "\n"
    parts, at = [header], 1
    for line, text in lines:
        parts.append("\n" * (line - at - 1))  # keep the row on its line of the original file
        parts.append(text)
        at = line
    return "".join(parts).encode()


def split_by_day(rows: Sequence[ParsedRow], *, max_bytes: int, max_rows: int) -> Iterator[tuple[bytes, int]]:
    """(CSV part, its row count): whole days of rows under both limits, oldest first. ValueError for a day that
    is over a limit alone: it cannot be split without changing its rows' ids."""
    references = {row.line: ref for row, ref in zip(rows, usable_references(rows), strict=True)}
    days: defaultdict = defaultdict(list)
    for row in rows:
        days[row.date].append(row)
    part: list[tuple[int, str]] = []
    text_bytes = last_line = 0
    for day in sorted(days):
        lines = _lines(days[day], references)
        day_bytes, day_last = sum(len(t.encode()) for _, t in lines), max(line for line, _ in lines)
        if day_bytes + day_last > max_bytes or len(lines) > max_rows:
            raise ValueError(f"the {len(lines):,} rows of {day} alone are over the limit of one request")
        # A part's size is its rows' text plus at most its last line number of padding.
        if part and (
            text_bytes + day_bytes + max(last_line, day_last) > max_bytes or len(part) + len(lines) > max_rows
        ):
            yield _text(sorted(part)), len(part)
            part, text_bytes, last_line = [], 0, 0
        part += lines
        text_bytes, last_line = text_bytes + day_bytes, max(last_line, day_last)
    if part:
        yield _text(sorted(part)), len(part)
