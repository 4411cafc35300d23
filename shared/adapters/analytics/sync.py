"""The processor's service: bring every change MySQL committed since the watermark into the store.

Correctness rests on MySQL's `change_seq`: it is handed out under a lock held until commit, so sequence
order is commit order. A run first reads `hi`, the highest sequence committed anywhere; every change up
to `hi` is committed by then, so reading `watermark < change_seq <= hi` in pages misses nothing, however
late a slow transaction commits (its sequence is above `hi`, and the next run reads it). A row updated
again after `hi` was read simply shows up in the next run under its newer sequence.

The whole run is one SQLite transaction (`BEGIN IMMEDIATE`), data and watermark together: readers see
the store before the run or after it, and a run that dies leaves it as it was for the next run to redo.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.adapters.analytics.account_changes import (
    ACCOUNT_SOURCE_COLUMNS,
    SETTINGS_SOURCE_COLUMNS,
    TRANSFER_SOURCE_COLUMNS,
    account_tuple,
    plan_transfers,
    rate_tuple,
    settings_tuple,
    transfer_from_source,
)
from shared.adapters.analytics.apply import (
    RECOPY_BUDGET,
    UPSERT_ACCOUNT,
    UPSERT_BUDGET,
    UPSERT_RATE,
    UPSERT_SETTINGS,
    apply_plan,
    apply_transfers,
    existing_transactions,
    existing_transfers,
    upsert,
)
from shared.adapters.analytics.change_pages import pages, rate_pages
from shared.adapters.analytics.changes import (
    BUDGET_SOURCE_COLUMNS,
    SOURCE_COLUMNS,
    budget_tuple,
    change_from_source,
    plan_page,
)
from shared.adapters.analytics.sharding import LOG_KEEP, forget_changes, note_users
from shared.adapters.analytics.state import SourceChanged, budgets_from, check_source, read_state, write_state
from shared.adapters.analytics.writer import connect_writer, immediate, writer_lock
from shared.adapters.mysql.source import committed_high, source_identity

log = logging.getLogger("budget.processor")
__all__ = ["SourceChanged", "SyncResult", "sync", "write_state"]  # SourceChanged, write_state: from state.py

PAGE_SIZE = 5_000
# Copies of MySQL tables, upserted when newer: (table, columns read, store statement, row conversion).
_COPIES = (
    ("budgets", BUDGET_SOURCE_COLUMNS, UPSERT_BUDGET, budget_tuple),
    ("accounts", ACCOUNT_SOURCE_COLUMNS, UPSERT_ACCOUNT, account_tuple),
    ("user_settings", SETTINGS_SOURCE_COLUMNS, UPSERT_SETTINGS, settings_tuple),
)


@dataclass(frozen=True)
class SyncResult:
    rows_read: int  # MySQL rows read (every synced table)
    rows_applied: int  # of those, rows that changed the store
    previous_watermark: int
    watermark: int
    duration_s: float
    skipped: bool = False  # another run held the writer lock, so this one did nothing
    source_s: float = 0.0  # of the duration, waiting on MySQL (its position, then the pages of changes)

    def describe(self) -> str:
        if self.skipped:
            return "skipped: another sync holds the writer lock"
        return (
            f"read {self.rows_read} rows, applied {self.rows_applied}, "
            f"watermark {self.previous_watermark} -> {self.watermark}, {self.duration_s:.3f}s"
        )


AfterPage = Callable[[int], None]


def sync(
    *, engine: Engine, path: str | Path, page_size: int = PAGE_SIZE, after_page: AfterPage | None = None
) -> SyncResult:
    """One incremental run. `after_page(n)` is called after each applied page, inside the run's transaction."""
    started = time.monotonic()
    with writer_lock(path, wait=False) as held:
        if not held:
            result = SyncResult(0, 0, 0, 0, time.monotonic() - started, skipped=True)
            log.info("sync %s", result.describe())
            return result
        conn = _writer(path)
        try:
            with immediate(conn):
                result = _sync_in_transaction(conn, engine, page_size, after_page, started)
        except BaseException:
            _forget_writer(path)
            raise
    log.info("sync %s", result.describe())
    return result


_writers: dict[str, tuple[int, sqlite3.Connection]] = {}


def _writer(path: str | Path) -> sqlite3.Connection:
    """The process's writer connection, kept between runs so its page cache stays warm.

    Only the holder of the writer lock uses it. A store replaced by another file (deleted by hand,
    restored) has a new inode: the old connection is dropped rather than writing into an unlinked file.
    """
    key = str(Path(path).resolve())
    cached = _writers.get(key)
    inode = _inode(key)
    if cached and cached[0] == inode:
        return cached[1]
    if cached:
        cached[1].close()
    conn = connect_writer(key)
    _writers[key] = (_inode(key), conn)
    return conn


def _forget_writer(path: str | Path) -> None:
    cached = _writers.pop(str(Path(path).resolve()), None)
    if cached:
        cached[1].close()


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _sync_in_transaction(
    conn: sqlite3.Connection, engine: Engine, page_size: int, after_page: AfterPage | None, started: float
) -> SyncResult:
    previous, live, built_from = read_state(conn)
    asked = time.monotonic()
    source = source_identity(engine)
    hi = committed_high(engine)
    check_source(built_from, previous, source=source, hi=hi)
    read = applied = pages_done = 0
    waited = [time.monotonic() - asked]

    def timed(pages_of):
        """The pages, with the time spent waiting for each added to `waited`."""
        while True:
            before = time.monotonic()
            page = next(pages_of, None)
            waited[0] += time.monotonic() - before
            if page is None:
                return
            yield page

    def page_done(rows: int, changed: int, users: Iterable[tuple[str, int]] = ()) -> None:
        nonlocal read, applied, pages_done
        note_users(conn, users)  # what the next publication rewrites, committed with the rows
        read, applied, pages_done = read + rows, applied + changed, pages_done + 1
        if after_page:
            after_page(pages_done)

    with engine.connect() as mysql:
        for rows in timed(pages(mysql, "transactions", SOURCE_COLUMNS, previous, hi, page_size)):
            changes = [change_from_source(r) for r in rows]
            plan = plan_page(changes, existing_transactions(conn, [c.row.key for c in changes]))
            apply_plan(conn, plan)
            live += plan.live_delta
            page_done(len(rows), plan.applied, ((c.row.user_id, c.row.change_seq) for c in changes))
        for rows in timed(pages(mysql, "transfers", TRANSFER_SOURCE_COLUMNS, previous, hi, page_size)):
            moves = [transfer_from_source(r) for r in rows]
            transfers = plan_transfers(moves, existing_transfers(conn, [row.key for row, _ in moves]))
            apply_transfers(conn, transfers)
            page_done(len(rows), transfers.applied, ((row.user_id, row.change_seq) for row, _ in moves))
        recopy = budgets_from(conn)
        for table, columns, statement, convert in _COPIES:
            after = previous
            if table == "budgets" and recopy is not None:  # every budget again, with what the store lacked
                after, statement = min(recopy, previous), RECOPY_BUDGET
            for rows in timed(pages(mysql, table, columns, after, hi, page_size)):
                # Each copy's columns start with user_id and end with change_seq.
                page_done(len(rows), upsert(conn, statement, [convert(r) for r in rows]), ((r[0], r[-1]) for r in rows))
        for rows in timed(rate_pages(mysql, previous, hi, page_size)):
            page_done(len(rows), upsert(conn, UPSERT_RATE, [rate_tuple(r) for r in rows]))
    write_state(conn, watermark=hi, transactions=live, source_id=source)
    if recopy is not None:
        conn.execute("UPDATE sync_state SET budgets_from = NULL WHERE id = 1")
    if hi > LOG_KEEP:
        forget_changes(conn, hi - LOG_KEEP)  # a publication prunes it; this bounds it when none runs
    return SyncResult(read, applied, previous, hi, time.monotonic() - started, source_s=waited[0])
