"""Reading the analytics store: a read-only connection, consistent snapshots, and how fresh the data is.

The processor is the only writer (WAL mode). A reader that runs several queries wraps them in
`read_snapshot(conn)`, so they all see one committed sync run, never half of one. On another host than
the processor's, readers open the snapshot it last published instead (`shared/adapters/analytics/publish.py`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypedDict

from shared.adapters.analytics.publish import current_snapshot


class Freshness(TypedDict):
    watermark: int  # highest MySQL change_seq the store reflects; 0 before the first sync
    synced_at: str | None  # ISO 8601 UTC time of the run that set it; None before the first sync
    transactions: int  # live transaction rows in the store
    rebuilt_at: str | None  # when the store was last rebuilt whole (by hand, or because its source changed)
    rebuild_reason: str | None


def open_reader(path: str | Path) -> sqlite3.Connection:
    """A read-only connection (autocommit; rows are sqlite3.Row). Open one per request or per job.

    `path` is the store, or a directory of published snapshots: then the one CURRENT names at this moment,
    opened as immutable (no locks, no -shm), since a published file never changes.
    """
    file = Path(path)
    immutable = file.is_dir()
    if immutable:
        published = current_snapshot(file)
        if published is None:
            raise FileNotFoundError(f"no analytics snapshot published in {file} yet: the processor publishes one")
        file = published
    if not file.exists():
        raise FileNotFoundError(f"no analytics store at {file} yet: the processor creates it on its first run")
    mode = "mode=ro&immutable=1" if immutable else "mode=ro"
    conn = sqlite3.connect(f"{file.resolve().as_uri()}?{mode}", uri=True, timeout=5, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Every query inside sees the same committed state of the store."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")  # a read transaction has nothing to undo


def freshness(conn: sqlite3.Connection) -> Freshness:
    """Watermark, time of the last sync and live transaction count; zeros before the first sync."""
    try:
        cursor = conn.execute("SELECT * FROM sync_state WHERE id = 1")  # older stores lack the newer columns
        names = [d[0] for d in cursor.description]
        found = cursor.fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        found = None
    if found is None:
        return Freshness(watermark=0, synced_at=None, transactions=0, rebuilt_at=None, rebuild_reason=None)
    row = dict(zip(names, found, strict=True))
    return Freshness(
        watermark=int(row["watermark"]),
        synced_at=row["synced_at"],
        transactions=int(row["transactions"]),
        rebuilt_at=row.get("rebuilt_at"),
        rebuild_reason=row.get("rebuild_reason"),
    )
