"""The analytics store's single writer: the lock beside the file, the WAL connection, the schema."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.adapters.analytics.schema import ADDED_COLUMNS, BACKFILL, DDL, DROPPED_INDEXES
from shared.adapters.analytics.sharding import backfill_users

log = logging.getLogger("budget.analytics")


@contextmanager
def writer_lock(path: str | Path, *, wait: bool) -> Iterator[bool]:
    """Hold `<store>.lock` exclusively; yields False at once when another writer has it and `wait` is off.

    flock belongs to the open file, so it is released when the process dies, even by SIGKILL: a killed
    run never leaves a stale lock behind.
    """
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def connect_writer(path: str | Path) -> sqlite3.Connection:
    """A WAL connection in autocommit mode; callers open their own `BEGIN IMMEDIATE` transactions."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # A power cut may lose the last commit, never corrupt: data and watermark roll back together.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA journal_size_limit=67108864")
    # Checkpoint once the WAL holds 64 MB (the size it is kept at), not at SQLite's 1,000 pages: a checkpoint costs
    # mostly its fsync, which would otherwise come with every run of a thousand changes (measured: a quarter of the
    # cost per run, amortized, at 100k and 1M rows).
    conn.execute("PRAGMA wal_autocheckpoint=16384")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA mmap_size=1073741824")
    ensure_schema(conn)
    return conn


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, column, declaration in ADDED_COLUMNS:  # first: a view of the DDL may name the column
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if present and column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                if (table, column) in BACKFILL:
                    conn.execute(BACKFILL[(table, column)])
        for index in DROPPED_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {index}")
        users = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        if "change_seq" in users:  # the first layout of `users`, briefly on main: the log replaced its column
            conn.execute("DROP TABLE users")
        for statement in DDL:
            conn.execute(statement)
        if users != {"user_id", "hash"}:
            backfill_users(conn)  # a store from before `users`: its publications need every user in it
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed whole, or rolled back whole (also on KeyboardInterrupt)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        # SMB mounts refuse fsync on a directory; there the server has made the rename durable before replying.
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def swap_in(fresh: Path, path: Path) -> None:
    """Move the loaded file into place: a rename when there is no store, else one write transaction over it.

    In WAL mode the `-wal` and `-shm` files are found by name, so a file renamed over a store that readers still
    hold open would share them with the old file and mix pages of both. SQLite's backup API copies every page in
    one write transaction instead: a reader keeps its snapshot of the old store until it starts a new read.
    """
    if not path.exists():
        remove_database(path)  # stray -wal/-shm of a store deleted by hand would be read as this one's
        os.replace(fresh, path)
        fsync_dir(path.parent)
        return
    source = sqlite3.connect(fresh)
    target = connect_writer(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    remove_database(fresh)


def remove_database(file: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
