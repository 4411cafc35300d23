"""Recompute the whole analytics store from MySQL into a new file, then publish it in one step.

Publishing: when no store exists yet the new file is renamed into place. Over a live store it is copied
in with SQLite's backup API as one write transaction instead of a rename: in WAL mode the `-wal` and
`-shm` files are found by name, so a file renamed over a store that readers still hold open would share
them with the old file and mix pages of both. The copy gives the same guarantee the rename would: a
reader keeps its snapshot of the old store until it starts a new read, then sees the new one whole.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.adapters.analytics.account_changes import (
    ACCOUNT_SOURCE_COLUMNS,
    RATE_SOURCE_COLUMNS,
    SETTINGS_SOURCE_COLUMNS,
    TRANSFER_SOURCE_COLUMNS,
    account_tuple,
    rate_tuple,
    settings_tuple,
    transfer_from_source,
)
from shared.adapters.analytics.apply import (
    INSERT_SPLIT,
    UPSERT_ACCOUNT,
    UPSERT_BUDGET,
    UPSERT_RATE,
    UPSERT_SETTINGS,
    UPSERT_TRANSFER,
    UPSERT_TXN,
)
from shared.adapters.analytics.changes import BUDGET_SOURCE_COLUMNS, SOURCE_COLUMNS, budget_tuple, store_row
from shared.adapters.analytics.publish import fsync_dir
from shared.adapters.analytics.schema import DDL
from shared.adapters.analytics.sync import write_state
from shared.adapters.analytics.writer import connect_writer, writer_lock
from shared.adapters.mysql.engine import is_mysql
from shared.adapters.mysql.source import committed_high, source_identity

log = logging.getLogger("budget.processor")

BATCH = 10_000
Progress = Callable[[int, int], None]  # (rows read so far, rows in MySQL when the rebuild started)

# The same sums the sync keeps by deltas, computed whole: totals over the parts, months over every entry.
_TOTALS_FROM_ROWS = (
    "INSERT INTO monthly_totals (user_id, month, category, currency, income_e4, expense_e4, count, transactions) "
    "SELECT user_id, month, category, currency, "
    "SUM(CASE WHEN type = 'income' THEN amount_e4 ELSE 0 END), "
    "SUM(CASE WHEN type = 'expense' THEN amount_e4 ELSE 0 END), COUNT(*), SUM(CASE WHEN idx = 0 THEN 1 ELSE 0 END) "
    "FROM transaction_parts GROUP BY user_id, month, category, currency"
)
_MONTHS_FROM_ROWS = (
    "INSERT INTO account_months (user_id, account_id, month, change_e4, entries) "
    "SELECT user_id, account_id, month, SUM(amount_e4), COUNT(*) FROM ("
    "SELECT user_id, account_id, month, CASE WHEN type = 'income' THEN amount_e4 ELSE -amount_e4 END AS amount_e4 "
    "FROM transactions WHERE account_id IS NOT NULL "
    "UNION ALL SELECT user_id, from_account, month, -amount_e4 FROM transfers "
    "UNION ALL SELECT user_id, to_account, month, to_amount_e4 FROM transfers"
    ") GROUP BY user_id, account_id, month"
)
# Copies loaded whole: (table, columns read, store statement, row conversion).
_COPIES = (
    ("accounts", ACCOUNT_SOURCE_COLUMNS, UPSERT_ACCOUNT, account_tuple),
    ("user_settings", SETTINGS_SOURCE_COLUMNS, UPSERT_SETTINGS, settings_tuple),
    ("exchange_rates", RATE_SOURCE_COLUMNS, UPSERT_RATE, rate_tuple),
)


@dataclass(frozen=True)
class RebuildResult:
    rows_read: int  # MySQL rows read, deleted ones included
    transactions: int  # live transactions now in the store
    budgets: int
    watermark: int
    duration_s: float

    def describe(self) -> str:
        return (
            f"rebuilt from {self.rows_read} rows: {self.transactions} transactions, {self.budgets} budgets, "
            f"watermark {self.watermark}, {self.duration_s:.3f}s"
        )


def rebuild(
    *, engine: Engine, path: str | Path, progress: Progress | None = None, reason: str = "asked for"
) -> RebuildResult:
    """Waits for a running sync to finish, then holds the writer lock throughout; `reason` is recorded."""
    started = time.monotonic()
    path = Path(path)
    with writer_lock(path, wait=True):
        fresh = path.with_name(f"{path.name}.rebuild")
        _remove_database(fresh)  # left by a rebuild that died
        # Sequences up to `hi` are committed before the read starts, so the store reflects all of them;
        # anything committed later shows up under a higher sequence and the next sync re-reads it.
        hi, source = committed_high(engine), source_identity(engine)
        total = _count(engine) if progress else 0
        rows_read, live, budgets = _build(fresh, engine, (hi, source, reason), progress, total)
        _publish(fresh, path)
    result = RebuildResult(rows_read, live, budgets, hi, time.monotonic() - started)
    log.info("rebuild %s", result.describe())
    return result


def _build(
    file: Path, engine: Engine, state: tuple[int, str, str], progress: Progress | None, total: int
) -> tuple[int, int, int]:
    hi, source, reason = state
    conn = sqlite3.connect(file, isolation_level=None)
    try:
        # A scratch file until published: no journal, no fsync; a crash just leaves it to be deleted.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        tables = [s for s in DDL if s.lstrip().upper().startswith("CREATE TABLE")]
        for statement in tables:
            conn.execute(statement)
        conn.execute("BEGIN")
        rows_read, live = _load_transactions(conn, engine, progress, total)
        for statement in DDL:
            if statement not in tables:
                conn.execute(statement)  # indexes after the load: one sort instead of a million inserts
        budgets = _load_budgets(conn, engine)
        others = _load_transfers(conn, engine)
        for table, columns, statement, convert in _COPIES:
            others += _copy(conn, engine, f"SELECT {columns} FROM {table}", statement, convert)
        conn.execute(_TOTALS_FROM_ROWS)
        conn.execute(_MONTHS_FROM_ROWS)
        write_state(conn, watermark=hi, transactions=live, source_id=source, rebuild_reason=reason)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return rows_read + budgets + others, live, budgets


def _load_transactions(
    conn: sqlite3.Connection, engine: Engine, progress: Progress | None, total: int
) -> tuple[int, int]:
    rows_read = live = 0
    # Primary-key order on both sides: InnoDB reads its clustered index, SQLite appends to its B-tree.
    for batch in _stream(engine, f"SELECT {SOURCE_COLUMNS} FROM transactions ORDER BY user_id, id"):
        rows = [store_row(r) for r in batch if not r[12]]
        conn.executemany(UPSERT_TXN, [r.as_tuple() for r in rows])
        conn.executemany(INSERT_SPLIT, [s for r in rows for s in r.split_rows()])
        rows_read += len(batch)
        live += len(rows)
        if progress:
            progress(rows_read, total)
    return rows_read, live


def _load_budgets(conn: sqlite3.Connection, engine: Engine) -> int:
    return _copy(conn, engine, f"SELECT {BUDGET_SOURCE_COLUMNS} FROM budgets", UPSERT_BUDGET, budget_tuple)


def _load_transfers(conn: sqlite3.Connection, engine: Engine) -> int:
    read = 0
    for batch in _stream(engine, f"SELECT {TRANSFER_SOURCE_COLUMNS} FROM transfers"):
        moves = [transfer_from_source(r) for r in batch]
        conn.executemany(UPSERT_TRANSFER, [row.as_tuple() for row, deleted in moves if not deleted])
        read += len(batch)
    return read


def _copy(conn: sqlite3.Connection, engine: Engine, select: str, statement: str, convert) -> int:
    read = 0
    for batch in _stream(engine, select):
        conn.executemany(statement, [convert(r) for r in batch])
        read += len(batch)
    return read


def _stream(engine: Engine, select: str):
    """The rows of a query in batches, streamed from MySQL rather than held in memory at once."""
    raw = engine.raw_connection()
    try:
        cursor = _streaming_cursor(raw, engine)
        cursor.execute(select)
        while batch := cursor.fetchmany(BATCH):
            yield batch
        cursor.close()
    except BaseException:
        raw.invalidate()  # a half-read stream leaves the connection unusable for the pool
        raise
    finally:
        raw.close()


def _streaming_cursor(raw, engine: Engine):
    """An unbuffered cursor on MySQL (rows stream instead of landing in memory at once)."""
    if is_mysql(engine):
        import pymysql.cursors

        return raw.cursor(pymysql.cursors.SSCursor)
    return raw.cursor()


def _count(engine: Engine) -> int:
    with engine.connect() as mysql:
        return int(mysql.execute(sa.text("SELECT COUNT(*) FROM transactions")).scalar_one())


def _publish(fresh: Path, path: Path) -> None:
    if not path.exists():
        _remove_database(path)  # stray -wal/-shm of a store deleted by hand would be read as this one's
        os.replace(fresh, path)
        fsync_dir(path.parent)
        return
    source = sqlite3.connect(fresh)
    target = connect_writer(path)
    try:
        source.backup(target)  # all pages in one step: one write transaction on the live store
    finally:
        source.close()
        target.close()
    _remove_database(fresh)


def _remove_database(file: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
