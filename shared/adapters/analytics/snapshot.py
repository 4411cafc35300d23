"""Reading the analytics store: a read-only connection, consistent snapshots, and how fresh the data is.

On the processor's host the store is one WAL file; a reader that runs several queries wraps them in
`read_snapshot(conn)`, so they all see one committed sync run. On another host readers open what the processor
last published (publish.py): `open_reader(<dir>)` resolves CURRENT once, to one manifest, and everything read
through that connection comes from the files of that manifest: a user's rows from the one file that holds the
user (`for_user`), every user's from every file (`parts`, for the administrators' reports), each file opened
`immutable=1`. The watermark and the rest of `sync_state` are the manifest's, so `freshness` says which run an
answer reflects, as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypedDict

from shared.adapters.analytics.manifest import Manifest, parse_name
from shared.adapters.analytics.publish import current_snapshot, read_manifest

_STATE = ("watermark", "synced_at", "transactions", "source_id", "rebuilt_at", "rebuild_reason")


class Freshness(TypedDict):
    watermark: int  # highest MySQL change_seq the store reflects; 0 before the first sync
    synced_at: str | None  # ISO 8601 UTC time of the run that set it; None before the first sync
    transactions: int  # live transaction rows in the store
    rebuilt_at: str | None  # when the store was last rebuilt whole (by hand, or because its source changed)
    rebuild_reason: str | None


def _uri(file: Path) -> str:
    return f"{file.resolve().as_uri()}?mode=ro&immutable=1"


def _immutable(file: Path, factory: type[sqlite3.Connection] = sqlite3.Connection) -> sqlite3.Connection:
    conn = sqlite3.connect(_uri(file), uri=True, timeout=5, isolation_level=None, factory=factory)
    conn.row_factory = sqlite3.Row
    return conn


class PublishedSnapshot(sqlite3.Connection):
    """The root of one published snapshot: its rates file, with the manifest's state as `sync_state`."""

    directory: Path
    manifest: Manifest

    def _adopt(self, directory: Path, manifest: Manifest) -> PublishedSnapshot:
        self.directory, self.manifest, self._opened = directory, manifest, []
        _state_table(self, manifest)
        return self

    def open_part(self, name: str) -> sqlite3.Connection:
        """One file of this snapshot, with the rates attached and the manifest's state; closed with this one."""
        conn = _immutable(self.directory / name)
        conn.execute("ATTACH ? AS rates", (_uri(self.directory / self.manifest.rates),))
        _state_table(conn, self.manifest)
        self._opened.append(conn)
        return conn

    def for_user(self, user_id: str) -> sqlite3.Connection:
        """The file that holds the user's rows as of this snapshot's watermark."""
        return self.open_part(self.manifest.owner(user_id))

    def parts(self) -> Iterator[tuple[sqlite3.Connection, str]]:
        """Every file with the condition (on `user_id`) that selects the users a reader reads from it: each user
        once over all the files, so sums and distinct counts over the parts add up."""
        layered = self.manifest.layered_by_shard
        chosen = [(s.file, layered.get(k, ()), "NOT IN") for k, s in enumerate(self.manifest.shards)]
        for name, users, operator in chosen + [(x.file, x.users, "IN") for x in self.manifest.layers]:
            conn = self.open_part(name)
            try:
                yield conn, _select(conn, users, operator)
            finally:
                self._opened.remove(conn)
                conn.close()

    def close(self) -> None:
        for conn in getattr(self, "_opened", ()):
            conn.close()
        super().close()


def _select(conn: sqlite3.Connection, users, operator: str) -> str:
    """The condition on `user_id` that keeps (IN) or leaves out (NOT IN) these users."""
    if not users and operator == "NOT IN":
        return ""
    conn.execute("CREATE TEMP TABLE part_users (user_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.executemany("INSERT INTO temp.part_users VALUES (?)", ((u,) for u in users))
    return f" AND user_id {operator} (SELECT user_id FROM temp.part_users)"


def _state_table(conn: sqlite3.Connection, manifest: Manifest) -> None:
    """The manifest's state as a temporary `sync_state`, found before any file's own by an unqualified name."""
    conn.execute(f"CREATE TEMP TABLE sync_state (id INTEGER PRIMARY KEY, {', '.join(_STATE)})")
    values = [manifest.watermark, *(manifest.state.get(k) for k in _STATE[1:])]
    conn.execute(f"INSERT INTO temp.sync_state VALUES (1, {', '.join('?' * len(_STATE))})", values)


def open_reader(path: str | Path, user_id: str | None = None) -> sqlite3.Connection:
    """A read-only connection (autocommit; rows are sqlite3.Row). Open one per request or per job.

    `path` is the store, or a directory of published snapshots: then the one CURRENT names at this moment. Given a
    `user_id`, a published snapshot answers for that user only (the file that holds the user); the store answers
    for everyone either way.
    """
    file = Path(path)
    if file.is_dir():
        published = current_snapshot(file)
        if published is None:
            raise FileNotFoundError(f"no analytics snapshot published in {file} yet: the processor publishes one")
        if parse_name(published.name).legacy:
            return _immutable(published)  # one whole file, as published before shards
        manifest = read_manifest(published)
        root = _immutable(file / manifest.rates, PublishedSnapshot)._adopt(file, manifest)
        return root if user_id is None else _only_user(root, user_id)
    if not file.exists():
        raise FileNotFoundError(f"no analytics store at {file} yet: the processor creates it on its first run")
    conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=5, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _only_user(root: PublishedSnapshot, user_id: str) -> sqlite3.Connection:
    conn = root.for_user(user_id)
    root._opened.remove(conn)
    root.close()
    return conn


def user_connection(conn: sqlite3.Connection, user_id: str) -> sqlite3.Connection:
    """What a user's report reads: the user's file of a published snapshot, or the store itself."""
    return conn.for_user(user_id) if isinstance(conn, PublishedSnapshot) else conn


def store_parts(conn: sqlite3.Connection) -> Iterator[tuple[sqlite3.Connection, str]]:
    """What an administrator's report reads: every file of a published snapshot (with the condition on `user_id`
    that picks its users), or the store itself, once."""
    if isinstance(conn, PublishedSnapshot):
        yield from conn.parts()
    else:
        yield conn, ""


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
