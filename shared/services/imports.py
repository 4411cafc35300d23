"""Bank-file imports. The receiver's half: a file read, checked and handed to the broker as one operation of
`transaction.imported` events, one per row. Storage's half: the preview, which reads the stored rows.

Ids are derived over the whole file (occurrence numbers count identical rows of the file), so an import of the
same file, or of an overlapping one, derives the same ids for the same rows; storage does the rest
(shared/domain/ledger_imports.py). Rows are published oldest first, so each storage batch holds whole days and
the matching it decides per batch sees the days around each row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from shared.adapters.bankfiles import CsvOptions, ParsedFile, UnreadableFile, parse
from shared.adapters.kafka.messages import EventPublisher, OutboundMessage
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.accounts import Account
from shared.domain.bank_rows import BankRow
from shared.domain.events import TransactionImported
from shared.domain.fields import MAX_PAYEE
from shared.domain.imports import import_ids
from shared.domain.ledger import Record
from shared.domain.operations import event_id, new_operation_id
from shared.problems import Problem, describe, field_errors
from shared.services.import_preview import preview_of
from shared.services.receiver import messages

MAX_FILE_BYTES = 10 * 1024 * 1024  # the CLI splits larger files at day boundaries
MAX_ROWS = 100_000  # the most events one operation may have
PUBLISH_CHUNK = 5_000  # events handed to the broker per call: its local queue takes them without waiting


@dataclass(frozen=True)
class ImportOptions:
    """What a person says about a file: its format, how to read a CSV, and what to do with bad rows."""

    format: str = "auto"
    csv: CsvOptions = field(default_factory=CsvOptions)
    skip_invalid: bool = False
    match: bool = True


@dataclass(frozen=True)
class ImportAccepted:
    import_id: uuid.UUID  # the import's operation: its outcome is at /api/operations/<id>, and /api/imports/<id>
    rows: int
    skipped: list[dict]  # with skip_invalid: the lines left out, and why


class ImportReads(Protocol):
    """What the preview reads of the system of record; every read is scoped to one user's account."""

    def account(self, *, user_id: str, account_id: str) -> Account | None: ...

    def known(self, *, user_id: str, account_id: str, ids: Sequence[str]) -> set[str]: ...

    def candidates(self, *, user_id: str, account_id: str, start: dt.date, end: dt.date) -> list[Record]: ...


def read_file(data: bytes, options: ImportOptions) -> ParsedFile:
    """The file's rows and bad lines; 422 when the file as a whole cannot be read."""
    if not data:
        raise Problem(400, "The body is empty: send the bank's file (CSV, OFX, QFX, QIF or camt.053).")
    try:
        return parse(data, format=options.format, csv=options.csv)
    except UnreadableFile as err:
        raise Problem(422, f"The file cannot be read: {err}") from None


def check_rows(rows: list[BankRow], errors: list[dict], options: ImportOptions) -> None:
    """422 naming each bad line unless skip_invalid; 422 for a file without rows, 413 past MAX_ROWS."""
    if errors and not options.skip_invalid:
        lines = ", ".join(str(e["line"]) for e in errors[:20]) + (", ..." if len(errors) > 20 else "")
        raise Problem(
            422,
            f"{len(errors)} line(s) of the file cannot be imported (line {lines}); nothing was recorded. Correct them, "
            f"or send skip_invalid=true to import the other {len(rows)} row(s).",
            errors=errors,
        )
    if not rows:
        raise Problem(422, "The file has no rows to import.", errors=errors)
    if len(rows) > MAX_ROWS:
        raise Problem(
            413, f"The file has {len(rows):,} rows; send at most {MAX_ROWS:,} at once (`budget import` splits)."
        )


def bank_rows(parsed: ParsedFile, *, user_id: str, account_id: uuid.UUID) -> tuple[list[BankRow], list[dict]]:
    """Each readable row with its derived id (derived over the whole file), and every bad line, in file order."""
    ids = import_ids(parsed.rows, user_id=user_id, account_id=str(account_id))
    rows, errors = [], [{"line": e.line, "reason": e.reason} for e in parsed.errors]
    for row, row_id in zip(parsed.rows, ids, strict=True):
        payee = row.payee[:MAX_PAYEE].rstrip() if row.payee else None  # parsers keep a description's length
        try:
            rows.append(BankRow(id=row_id, line=row.line, date=row.date, amount=row.amount, currency=row.currency,
                                payee=payee or None, memo=row.memo, reference=row.reference))  # fmt: skip
        except ValidationError as exc:  # e.g. more decimal places than any currency, in a file naming none
            errors.append({"line": row.line, "reason": describe(field_errors(exc.errors()))})
    errors.sort(key=lambda e: e["line"])
    return rows, errors


@dataclass(frozen=True)
class Prepared:
    """An import ready for the broker: its operation, its rows' messages (oldest day first), the lines left out."""

    import_id: uuid.UUID
    messages: list[OutboundMessage]
    skipped: list[dict]

    @property
    def rows(self) -> int:
        return len(self.messages)


class Imports:
    """The receiver's imports: `prepare` is CPU work (run it off the event loop); `publish` returns only once the
    broker has acknowledged every row's event, or raises."""

    def __init__(self, *, publisher: EventPublisher, topic: str, chunk: int = PUBLISH_CHUNK) -> None:
        self._publisher = publisher
        self._topic = topic
        self._chunk = chunk

    def prepare(self, user_id: str, account_id: uuid.UUID, parsed: ParsedFile, options: ImportOptions) -> Prepared:
        """422 naming each bad line (unless skip_invalid); else one operation of an event per row."""
        rows, errors = bank_rows(parsed, user_id=user_id, account_id=account_id)
        check_rows(rows, errors, options)
        op = new_operation_id(user_id)
        size = len(rows)
        events = [
            TransactionImported.model_construct(
                event_id=event_id(op, i), user_id=user_id, operation_id=op, operation_size=size, index=i,
                import_id=op, account_id=account_id, match=options.match, row=row,
            )  # the rows are validated; the envelope is ours
            for i, row in enumerate(rows)
        ]  # fmt: skip
        events.sort(key=lambda e: e.row.date)  # stable: a day's rows keep their file order
        return Prepared(op, messages(events, self._topic), errors)

    async def publish(self, prepared: Prepared) -> ImportAccepted:
        try:
            for start in range(0, prepared.rows, self._chunk):
                await self._publisher.publish(prepared.messages[start : start + self._chunk])
        except BrokerUnavailable:
            # Rows the broker took stay taken: the retry derives the same ids, so storage finds them duplicates.
            raise Problem(
                503,
                "The event broker did not confirm every row in time. Send the file again: rows already recorded are "
                "found by their ids and not recorded twice.",
                headers={"Retry-After": "5"},
                operation=str(prepared.import_id),
            ) from None
        return ImportAccepted(prepared.import_id, prepared.rows, prepared.skipped)

    @staticmethod
    def preview(
        reads: ImportReads, user_id: str, account_id: uuid.UUID, parsed: ParsedFile, options: ImportOptions
    ) -> dict:
        """What importing the file would do, recording nothing (storage's: it reads the stored rows)."""
        rows, errors = bank_rows(parsed, user_id=user_id, account_id=account_id)
        if not rows and not errors:
            raise Problem(422, "The file has no rows to import.")
        return preview_of(reads, user_id, str(account_id), parsed.format, rows, errors, match=options.match)
