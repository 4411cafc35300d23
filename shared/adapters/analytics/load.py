"""A full load of the analytics store from MySQL, in committed steps that resume across runs.

A new instance has no store, and a store built from another database must be rebuilt: at 10,000,000 transactions
either is more than one timer run may take (the host's functionTimeout, 10 minutes). The load therefore builds
`<store>.rebuild` beside the store in steps (load_steps.py) and commits each with its checkpoint in `load_state`;
a run stops starting steps once its time budget is spent, and the next run carries on from the checkpoint. A run
killed mid-step loses that step only: the scratch file has a rollback journal, so the step is undone when it is
next opened. Readers keep the store as it was (or a 503 "not built yet" when there is none, and the snapshot
CURRENT names when one is published) until the last step moves the finished file into place.

Rows are read in primary-key order, not at one instant: `hi`, the highest sequence committed when the load began,
becomes the watermark, so the first sync after it re-reads every change above `hi`, and the sync's rule (a change
no newer than what the store holds is skipped) makes rows the load read at a later version come out right.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.adapters.analytics.load_steps import (
    AFTER_LOAD,
    COPIES,
    COPY_PAGE,
    TABLES,
    USERS_PER_STEP,
    copy_page,
    sums_step,
)
from shared.adapters.analytics.state import write_state
from shared.adapters.analytics.writer import immediate, remove_database, swap_in, writer_lock
from shared.adapters.mysql.source import committed_high, source_identity

log = logging.getLogger("budget.processor")

# The phases, in order, each a number of steps: a page of a table, an index, the sums of a range of users.
PHASES = [f"copy {table}" for table, *_ in COPIES] + ["indexes"] + ["totals", "months"]
_STATE = """CREATE TABLE IF NOT EXISTS load_state (
    id INTEGER PRIMARY KEY CHECK (id = 1), hi INTEGER NOT NULL, source_id TEXT NOT NULL, reason TEXT NOT NULL,
    phase INTEGER NOT NULL, key TEXT, rows_read INTEGER NOT NULL, live INTEGER NOT NULL, runs INTEGER NOT NULL)"""
AfterStep = Callable[[str, int], None]  # (phase, steps committed in this run)
Progress = Callable[[int, int], None]  # (rows read so far, rows in MySQL when the load started)


@dataclass(frozen=True)
class StepSizes:
    page: int = COPY_PAGE  # MySQL rows a copy step reads
    users: int = USERS_PER_STEP  # users whose sums a step computes


@dataclass(frozen=True)
class LoadResult:
    done: bool  # the store now holds the loaded state
    phase: str  # where the load stands ("done" once finished)
    rows_read: int  # MySQL rows read by the load, over all its runs
    transactions: int  # live transactions loaded
    watermark: int  # the load's `hi`: the store's watermark once done
    runs: int  # timer runs (or calls) the load has taken, this one included
    steps: int  # steps committed in this run
    duration_s: float  # this run
    busy: bool = False  # another writer held the lock: this run did nothing

    @property
    def skipped(self) -> bool:
        """No sync ran in this run (telemetry's reading): the store is still loading, or another writer has it."""
        return not self.done

    @property
    def rows_applied(self) -> int:
        return self.rows_read

    def describe(self) -> str:
        if self.busy:
            return "skipped: another run holds the writer lock"
        state = "done" if self.done else f"paused at {self.phase}, resumes next run"
        return (
            f"full load {state}: {self.rows_read} rows read, {self.transactions} transactions, watermark "
            f"{self.watermark}, run {self.runs} ({self.steps} steps, {self.duration_s:.1f}s)"
        )


def scratch_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f"{path.name}.rebuild")


def in_progress(path: str | Path) -> bool:
    """A load has begun and not finished: its scratch file is there (the last step moves it into place)."""
    return scratch_path(path).exists()


def load(
    *,
    engine: Engine,
    path: str | Path,
    budget_s: float | None,
    reason: str,
    restart: bool = False,
    wait: bool = False,
    progress: Progress | None = None,
    after_step: AfterStep | None = None,
    sizes: StepSizes | None = None,
) -> LoadResult:
    """Begin (or, unless `restart`, carry on) a full load; stop starting steps after `budget_s` (None: finish).

    A run takes at least one step, so every run moves the load on, whatever the budget.
    """
    started = time.monotonic()
    path = Path(path)
    with writer_lock(path, wait=wait) as held:
        if not held:
            return LoadResult(False, "", 0, 0, 0, 0, 0, time.monotonic() - started, busy=True)
        scratch = scratch_path(path)
        conn = _open(scratch, engine, reason, restart)
        try:
            result = _steps(conn, engine, budget_s, started, progress, after_step, sizes or StepSizes())
        finally:
            conn.close()
        if result.done:
            swap_in(scratch, path)
    log.info("%s: %s", path, result.describe())
    return result


def _open(scratch: Path, engine: Engine, reason: str, restart: bool) -> sqlite3.Connection:
    """The scratch store with its checkpoint; a fresh one when asked, or when the source is not the one it began on."""
    hi, source = committed_high(engine), source_identity(engine)
    if scratch.exists() and not restart:
        conn = _connect(scratch)
        if _finished(conn):
            return conn  # killed between its last step and the move into place
        state = _checkpoint(conn)
        if state is not None and state[1] == source and hi >= state[0]:
            return conn
        conn.close()
        log.warning("restarting the full load of %s: the source changed, or it died before its first step", scratch)
    remove_database(scratch)
    conn = _connect(scratch)
    with immediate(conn):
        for statement in (*TABLES, _STATE):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO load_state (id, hi, source_id, reason, phase, key, rows_read, live, runs) "
            "VALUES (1, ?, ?, ?, 0, NULL, 0, 0, 0)",
            (hi, source, reason),
        )
    return conn


def _checkpoint(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(hi, source) the load began with; None when it died before writing them."""
    try:
        return conn.execute("SELECT hi, source_id FROM load_state WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None


def _finished(conn: sqlite3.Connection) -> bool:
    """The last step drops `load_state` in the transaction that writes the store's watermark."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE name IN ('load_state', 'sync_state')")}
    return names == {"sync_state"}


def _connect(file: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(file, isolation_level=None, check_same_thread=False)
    # A rollback journal undoes the step a killed run was in; no fsync, since the file is only worth anything on
    # this instance's disk, and a lost instance loses the disk too.
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    return conn


def _steps(
    conn: sqlite3.Connection,
    engine: Engine,
    budget_s: float | None,
    started: float,
    progress: Progress | None,
    after_step: AfterStep | None,
    sizes: StepSizes,
) -> LoadResult:
    if _finished(conn):
        watermark, live = conn.execute("SELECT watermark, transactions FROM sync_state WHERE id = 1").fetchone()
        return LoadResult(True, "done", 0, live, watermark, 0, 0, time.monotonic() - started)
    hi, source, reason, phase, key, rows_read, live, runs = conn.execute(
        "SELECT hi, source_id, reason, phase, key, rows_read, live, runs FROM load_state WHERE id = 1"
    ).fetchone()
    runs += 1
    conn.execute("UPDATE load_state SET runs = ?", (runs,))
    total = _count(engine) if progress else 0
    steps = 0
    key = json.loads(key) if key else None
    while phase < len(PHASES) and (budget_s is None or not steps or time.monotonic() - started < budget_s):
        with immediate(conn):
            phase, key, read, loaded = _step(conn, engine, phase, key, sizes)
            rows_read, live = rows_read + read, live + loaded
            if phase < len(PHASES):
                conn.execute(
                    "UPDATE load_state SET phase = ?, key = ?, rows_read = ?, live = ?",
                    (phase, json.dumps(key) if key is not None else None, rows_read, live),
                )
            else:  # the watermark arrives with the last of the data; the checkpoint goes
                write_state(conn, watermark=hi, transactions=live, source_id=source, rebuild_reason=reason)
                conn.execute("UPDATE sync_state SET log_from = ?", (hi,))  # nothing logged: the next one is full
                conn.execute("DROP TABLE load_state")
        steps += 1
        if progress and read:
            progress(rows_read, total)
        if after_step:
            after_step(PHASES[min(phase, len(PHASES) - 1)], steps)
    done = phase == len(PHASES)
    label = "done" if done else PHASES[phase]
    return LoadResult(done, label, rows_read, live, hi, runs, steps, time.monotonic() - started)


def _step(conn: sqlite3.Connection, engine: Engine, phase: int, key, sizes: StepSizes) -> tuple[int, object, int, int]:
    """One committed step: (phase, key) to carry on from, MySQL rows read, live transactions written."""
    copies, indexes = len(COPIES), len(COPIES) + 1
    if phase < copies:
        key, copied = copy_page(conn, engine, phase, key, sizes.page)
        return (phase if key is not None else phase + 1), key, copied.rows, copied.live
    if phase < indexes:
        done = key or 0
        conn.execute(AFTER_LOAD[done])  # one index (or view) a step: the largest is one sort of one column set
        return (phase, done + 1, 0, 0) if done + 1 < len(AFTER_LOAD) else (phase + 1, None, 0, 0)
    last = sums_step(conn, phase - indexes, key or "", sizes.users)
    return (phase, last, 0, 0) if last is not None else (phase + 1, None, 0, 0)


def _count(engine: Engine) -> int:
    import sqlalchemy as sa

    with engine.connect() as mysql:
        return int(mysql.execute(sa.text("SELECT COUNT(*) FROM transactions")).scalar_one())
