"""The store's `sync_state` row: the watermark and the source it was built from, written with the data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime


class SourceChanged(Exception):
    """The store was built from another database, or from this one before it went back in time: only a rebuild
    makes it right again; applying changes on top would answer from the wrong data."""


def read_state(conn: sqlite3.Connection) -> tuple[int, int, str | None]:
    """(watermark, live transactions, source id); zeros and None before the first run."""
    row = conn.execute("SELECT watermark, transactions, source_id FROM sync_state WHERE id = 1").fetchone()
    return (int(row[0]), int(row[1]), row[2]) if row else (0, 0, None)


def budgets_from(conn: sqlite3.Connection) -> int | None:
    """The sequence above which the next sync copies every budget again (schema.BACKFILL); None: nothing to copy."""
    row = conn.execute("SELECT budgets_from FROM sync_state WHERE id = 1").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def write_state(
    conn: sqlite3.Connection, *, watermark: int, transactions: int, source_id: str, rebuild_reason: str | None = None
) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute(
        "INSERT INTO sync_state (id, watermark, synced_at, transactions, source_id) VALUES (1, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark, synced_at = excluded.synced_at, "
        "transactions = excluded.transactions, source_id = excluded.source_id",
        (watermark, now, transactions, source_id),
    )
    if rebuild_reason is not None:
        conn.execute("UPDATE sync_state SET rebuilt_at = ?, rebuild_reason = ? WHERE id = 1", (now, rebuild_reason))


def check_source(built_from: str | None, watermark: int, *, source: str, hi: int) -> None:
    """Raise SourceChanged when the store cannot be brought up to date by applying changes."""
    if built_from is not None and built_from != source:
        raise SourceChanged(f"the store was built from database {built_from}; the source now is {source}")
    if hi < watermark:
        raise SourceChanged(f"the source's newest change {hi} is below the store's watermark {watermark}: a restore")
