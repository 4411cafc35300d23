"""An import's preview: what storage would do with each row of a file, by the same rule, recording nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.domain.bank_rows import BankRow
from shared.domain.events import TransactionImported
from shared.domain.imports import kind_and_amount
from shared.domain.ledger import Record
from shared.domain.ledger_imports import MATCH_WINDOW_DAYS, UNCATEGORIZED, Imported, import_rows
from shared.domain.money import format_amount
from shared.problems import Problem

if TYPE_CHECKING:
    from shared.services.imports import ImportReads

PREVIEW_ROWS = 50
_WINDOW = dt.timedelta(days=MATCH_WINDOW_DAYS)


def preview_of(
    reads: ImportReads,
    user_id: str,
    account_id: str,
    file_format: str,
    rows: Sequence[BankRow],
    errors: list[dict],
    *,
    match: bool,
) -> dict:
    """{format, rows, errors, transactions (the first 50), matches, new, duplicates, matched, rejected}."""
    account = reads.account(user_id=user_id, account_id=account_id)
    if account is None:
        raise Problem(404, f"No such account among yours: {account_id}. Open it first (POST /api/accounts).")
    known = reads.known(user_id=user_id, account_id=account_id, ids=[str(r.id) for r in rows]) if rows else set()
    candidates: list[Record] = []
    if match and rows:
        start, end = min(r.date for r in rows) - _WINDOW, max(r.date for r in rows) + _WINDOW
        candidates = reads.candidates(user_id=user_id, account_id=account_id, start=start, end=end)
    events = [_event(user_id, account_id, row, match) for row in rows]
    outcomes = import_rows(events, account=account, known=known.__contains__, candidates=candidates, now_us=0)
    by_id = {c.id: c for c in candidates}
    refused = [
        {"line": row.line, "reason": o.result.rejection.problem()["detail"].removeprefix(f"line {row.line}: ")}
        for row, o in zip(rows, outcomes, strict=True)
        if o.result.rejection is not None
    ]
    counts = {"new": 0, "duplicates": 0, "matched": 0, "rejected": len(refused)}
    for o in outcomes:
        if o.result.kind == "duplicate":
            counts["duplicates"] += 1
        elif o.result.linked:
            counts["matched"] += 1
        elif o.result.kind == "applied":
            counts["new"] += 1
    return {
        "format": file_format,
        "account": {"id": account.id, "name": account.name, "currency": account.currency},
        "rows": len(rows),
        "errors": sorted(errors + refused, key=lambda e: e["line"]),
        "transactions": [
            _shown(row, o, account.currency) for row, o in zip(rows[:PREVIEW_ROWS], outcomes, strict=False)
        ],
        "matches": [
            _link(row, by_id[o.record.id], account.currency)
            for row, o in zip(rows, outcomes, strict=True)
            if o.result.linked and o.record is not None
        ],
        **counts,
    }


def _event(user_id: str, account_id: str, row: BankRow, match: bool) -> TransactionImported:
    # The rule reads the row, the account and `match`; the envelope of a preview names nothing.
    return TransactionImported.model_construct(
        user_id=user_id, import_id=uuid.UUID(int=0), account_id=uuid.UUID(account_id), match=match, row=row
    )


def _status(o: Imported) -> str:
    if o.result.kind != "applied":
        return "duplicate" if o.result.kind == "duplicate" else "rejected"
    return "matched" if o.result.linked else "new"


def _shown(row: BankRow, o: Imported, currency: str) -> dict:
    """A row as it would be recorded: type and positive amount, the account's currency, uncategorized."""
    kind, amount = kind_and_amount(row.amount)
    exact = o.record.amount if o.record is not None and not o.result.linked else None
    return {
        "line": row.line,
        "id": str(row.id),
        "date": row.date.isoformat(),
        "type": kind.value,
        "amount": format_amount(exact, currency) if exact is not None else format(amount, "f"),
        "currency": row.currency or currency,
        "category": UNCATEGORIZED,
        "payee": row.payee,
        "description": row.memo,
        "reference": row.reference,
        "status": _status(o),
    }


def _link(row: BankRow, typed: Record, currency: str) -> dict:
    """A proposed link: the file's row and the hand-entered transaction it would be recorded as."""
    kind, amount = kind_and_amount(row.amount)
    return {
        "line": row.line,
        "id": str(row.id),
        "date": row.date.isoformat(),
        "type": kind.value,
        "amount": format(amount, "f"),
        "payee": row.payee,
        "description": row.memo,
        "days_apart": abs((row.date - typed.date).days),
        "transaction": {
            "id": typed.id,
            "date": typed.date.isoformat(),
            "type": typed.type,
            "amount": format_amount(typed.amount, currency),
            "currency": currency,
            "category": typed.category,
            "description": typed.description,
            "payee": typed.payee,
        },
    }
