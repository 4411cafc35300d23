"""Writing the files of a published snapshot from the working store: a part (some users' rows, every table) or
the rates file. Each is built on local disk beside the store, then copied to the snapshot directory under a
temporary name, fsynced and renamed, so a name in that directory always means a complete file that never changes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from shared.adapters.analytics.schema import DDL, PART_DDL, RATES_DDL
from shared.adapters.analytics.sharding import USER_TABLES

_PART_TABLES = tuple(s for s in PART_DDL if s.lstrip().upper().startswith("CREATE TABLE"))
_PART_AFTER = tuple(s for s in PART_DDL if s not in _PART_TABLES)  # indexes and views, once the rows are in
_RATES_TABLES = tuple(s for s in RATES_DDL if s.lstrip().upper().startswith("CREATE TABLE"))
_SYNC_STATE = next(s for s in DDL if "TABLE IF NOT EXISTS sync_state" in s)


def _scratch(target: Path, store: Path) -> sqlite3.Connection:
    """A new file to fill, with the working store attached read-only as `src`."""
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target.resolve().as_uri(), isolation_level=None, uri=True)  # uri: ATTACH takes one too
    # Built whole or thrown away: no journal, no fsync until it is copied to the share.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("ATTACH ? AS src", (f"{store.resolve().as_uri()}?mode=ro",))
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> str:
    return ", ".join(row[1] for row in conn.execute(f"PRAGMA main.table_info({table})"))


def write_part(
    store: Path,
    target: Path,
    *,
    state: dict,
    watermark: int,
    users: Sequence[str] | None = None,
    hashes: tuple[int, int] | None = None,
) -> int:
    """Some users' rows from every table of the store: `users` by id, or those whose hash is in [low, high).

    Returns the transactions written. Rows leave in primary-key order, so each table is appended to; the indexes
    are built after. The caller holds the writer lock: the store does not move while parts are written.
    """
    conn = _scratch(target, store)
    try:
        for statement in _PART_TABLES:
            conn.execute(statement)
        conn.execute("CREATE TEMP TABLE chosen (user_id TEXT PRIMARY KEY) WITHOUT ROWID")
        if users is not None:
            conn.executemany("INSERT OR IGNORE INTO temp.chosen VALUES (?)", ((u,) for u in users))
        else:
            conn.execute(
                "INSERT INTO temp.chosen SELECT user_id FROM src.users WHERE hash >= ? AND hash < ?", hashes or (0, 0)
            )
        conn.execute("BEGIN")
        for table in (*USER_TABLES, "users"):
            columns = _columns(conn, table)
            conn.execute(
                f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM src.{table} "
                "WHERE user_id IN (SELECT user_id FROM temp.chosen)"
            )
        rows = conn.execute("SELECT COUNT(*) FROM main.transactions").fetchone()[0]
        _write_state(conn, state, watermark, rows)
        conn.execute("COMMIT")
        conn.execute("DETACH src")
        for statement in _PART_AFTER:
            conn.execute(statement)
    finally:
        conn.close()
    return rows


def write_rates(store: Path, target: Path, *, state: dict, watermark: int) -> int:
    """Every exchange rate of the store, with the state they were published at."""
    conn = _scratch(target, store)
    try:
        conn.execute("BEGIN")
        for statement in (*_RATES_TABLES, _SYNC_STATE):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO main.exchange_rates (currency, day, per_euro, source, change_seq) "
            "SELECT currency, day, per_euro, source, change_seq FROM src.exchange_rates"
        )
        count = conn.execute("SELECT COUNT(*) FROM main.exchange_rates").fetchone()[0]
        _write_state(conn, state, watermark, 0)
        conn.execute("COMMIT")
        conn.execute("DETACH src")
        for statement in RATES_DDL:
            conn.execute(statement)  # the tables exist already: this builds the index
    finally:
        conn.close()
    return count


def _write_state(conn: sqlite3.Connection, state: dict, watermark: int, transactions: int) -> None:
    """The file's own watermark: each file holds one consistent state of its users as of `watermark`."""
    conn.execute(
        "INSERT INTO main.sync_state (id, watermark, synced_at, transactions, source_id, rebuilt_at, rebuild_reason) "
        "VALUES (1, ?, ?, ?, ?, ?, ?)",
        (watermark, state.get("synced_at"), transactions, state.get("source_id"), state.get("rebuilt_at"),
         state.get("rebuild_reason")),
    )  # fmt: skip


def copy_durably(source: Path, directory: Path, name: str) -> Path:
    """Copy to `directory/.{name}.tmp`, fsync, rename to `directory/name`; the directory's fsync is the caller's."""
    temp = directory / f".{name}.tmp"
    with open(source, "rb") as src, open(temp, "wb") as dst:
        shutil.copyfileobj(src, dst, length=8 * 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())
    final = directory / name
    os.replace(temp, final)
    return final
