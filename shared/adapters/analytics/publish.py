"""Publishing the analytics store as immutable snapshot files, for an analyzer on another host.

The processor's working store is a WAL file on its own disk; WAL needs memory shared by every connection,
so no other host may open it. Publishing copies one committed state of it into
`<dir>/analytics-<watermark>-<time>.db` (written under a temporary name, fsynced, renamed), then replaces
`<dir>/CURRENT`, which names it, the same way. A reader that follows CURRENT therefore always finds a
complete file, and a published file never changes again: readers open it with `immutable=1`, which takes
no locks and needs no `-shm`, so it is safe on an SMB share. Old snapshots are deleted once newer ones
have been current for a grace period, as readers may still hold them open.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shared.adapters.analytics.writer import writer_lock

log = logging.getLogger("budget.processor")

POINTER = "CURRENT"
KEEP = 3  # newest snapshots always kept
GRACE_S = 300.0  # how long a superseded snapshot stays for readers that resolved it before the switch
_STAMP = "%Y%m%dT%H%M%S%fZ"
_STAMP_RE = r"\d{8}T\d{12}Z"
_NAME_RE = re.compile(rf"^analytics-(?P<watermark>\d+)-(?P<stamp>{_STAMP_RE})\.db$")
_TEMP_RE = re.compile(rf"^\..*(?P<stamp>{_STAMP_RE}).*\.tmp$")  # `.{final name}.tmp`, `.CURRENT-{stamp}-{pid}.tmp`

Source = sqlite3.Connection | str | Path


@dataclass(frozen=True)
class Snapshot:
    name: str
    watermark: int
    published_at: datetime


def snapshot_name(watermark: int, at: datetime) -> str:
    return f"analytics-{watermark}-{at.astimezone(UTC).strftime(_STAMP)}.db"


def parse_name(name: str) -> Snapshot | None:
    """The snapshot a file name describes; None for anything else in the directory."""
    match = _NAME_RE.match(name)
    if not match:
        return None
    return Snapshot(name, int(match["watermark"]), _parse_stamp(match["stamp"]))


def _parse_stamp(stamp: str) -> datetime:
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)


def due(store_watermark: int, current: Snapshot | None, *, min_interval_s: float, now: datetime) -> bool:
    """Publish when nothing is published yet, or the store moved on and the last one is old enough."""
    if current is None:
        return True
    return store_watermark != current.watermark and (now - current.published_at).total_seconds() >= min_interval_s


def to_prune(names: list[str], *, current: str | None, keep: int, grace_s: float, now: datetime) -> list[str]:
    """Snapshots beyond the newest `keep` whose successor has been published for at least `grace_s`.

    A reader resolves CURRENT and then opens the file it names; until the next snapshot is published a file
    can still be resolved, so the grace period runs from its successor's publication, not its own.
    """
    snapshots = sorted((s for s in map(parse_name, names) if s), key=lambda s: (s.published_at, s.name))
    old = snapshots[: max(len(snapshots) - keep, 0)]
    return [
        s.name
        for s, successor in zip(old, snapshots[1:], strict=False)
        if s.name != current and (now - successor.published_at).total_seconds() >= grace_s
    ]


def stale_temps(names: list[str], *, grace_s: float, now: datetime) -> list[str]:
    """Temporary files left by a publisher that died before its rename, once older than `grace_s`."""
    stale = []
    for name in names:
        match = _TEMP_RE.match(name)
        if match and (now - _parse_stamp(match["stamp"])).total_seconds() >= grace_s:
            stale.append(name)
    return stale


def current_snapshot(snapshot_dir: str | Path) -> Path | None:
    """The published snapshot CURRENT names; None before the first publication."""
    directory = Path(snapshot_dir)
    try:
        name = (directory / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if parse_name(name) is None:
        raise ValueError(f"{directory / POINTER} names {name!r}, which is not a snapshot file name")
    return directory / name


def publish_snapshot(
    source: Source,
    snapshot_dir: str | Path,
    *,
    keep: int = KEEP,
    grace_s: float = GRACE_S,
    now: datetime | None = None,
    before_rename: Callable[[Path], None] | None = None,
) -> Path:
    """Copy one committed state of the store (a path, or a connection outside a transaction) and make it CURRENT.

    `before_rename(temp)` runs once the copy is on the share but not yet renamed (tests kill the process there).
    """
    directory = Path(snapshot_dir)
    directory.mkdir(parents=True, exist_ok=True)
    conn = source if isinstance(source, sqlite3.Connection) else _open_source(source)
    try:
        store = _database_file(conn)
        # Two publishers on one host (the timer, `budget process --publish`) take turns, so CURRENT only
        # moves forward; across hosts the timer trigger's singleton lease does the same.
        with writer_lock(f"{store}.publish", wait=True):
            for left in store.parent.glob(f"{store.name}.snapshot-*"):
                left.unlink(missing_ok=True)  # a publisher killed mid-copy; none runs now, we hold the lock
            scratch = store.with_name(f"{store.name}.snapshot-{uuid.uuid4().hex}")
            try:
                # A consistent copy of one committed run, built on local disk so that SQLite itself never
                # locks or journals a file on the share; VACUUM INTO writes a rollback-journal (not WAL) file.
                conn.execute("VACUUM INTO ?", (str(scratch),))
                watermark = _watermark(scratch)
                at = now or datetime.now(UTC)
                final = directory / snapshot_name(watermark, at)
                temp = directory / f".{final.name}.tmp"
                _copy_durably(scratch, temp)
                if before_rename:
                    before_rename(temp)
                os.replace(temp, final)
                _point_at(directory, final.name, at)
            finally:
                scratch.unlink(missing_ok=True)
    finally:
        if conn is not source:
            conn.close()
    log.info("published analytics snapshot %s (watermark %d)", final, watermark)
    prune(directory, keep=keep, grace_s=grace_s, now=at)
    return final


def publish_if_due(
    store_path: str | Path, snapshot_dir: str | Path, *, min_interval_s: float, now: datetime | None = None
) -> Path | None:
    """After a sync run: publish when the store is ahead of CURRENT and the last snapshot is old enough."""
    store = Path(store_path)
    if not store.exists():
        return None
    at = now or datetime.now(UTC)
    current = current_snapshot(snapshot_dir)
    if not due(_watermark(store), current and parse_name(current.name), min_interval_s=min_interval_s, now=at):
        return None
    return publish_snapshot(store, snapshot_dir, now=at)


def prune(snapshot_dir: str | Path, *, keep: int = KEEP, grace_s: float = GRACE_S, now: datetime) -> list[Path]:
    """Delete old snapshots and dead publishers' temporary files; returns what was deleted."""
    directory = Path(snapshot_dir)
    names = [p.name for p in directory.iterdir()]
    current = current_snapshot(directory)
    doomed = to_prune(names, current=current and current.name, keep=keep, grace_s=grace_s, now=now)
    deleted = []
    for name in doomed + stale_temps(names, grace_s=grace_s, now=now):
        try:
            (directory / name).unlink(missing_ok=True)
        except OSError as exc:
            # On SMB a file a reader still has open cannot be deleted; it is tried again after the next publish.
            log.warning("could not delete old analytics snapshot %s yet: %s", name, exc)
            continue
        deleted.append(directory / name)
    return deleted


def _open_source(path: str | Path) -> sqlite3.Connection:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"no analytics store at {file} to publish: run a sync first")
    return sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=30, isolation_level=None)


def _database_file(conn: sqlite3.Connection) -> Path:
    """The connection's main database file, so the scratch copy and the lock sit beside it on local disk."""
    file = next(row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main")
    return Path(file) if file else Path(tempfile.gettempdir()) / "analytics-memory.db"


def _watermark(file: Path) -> int:
    conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT watermark FROM sync_state WHERE id = 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        row = None
    finally:
        conn.close()
    return int(row[0]) if row else 0


def _copy_durably(source: Path, target: Path) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, length=8 * 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())


def _point_at(directory: Path, name: str, at: datetime) -> None:
    temp = directory / f".{POINTER}-{at.strftime(_STAMP)}-{os.getpid()}.tmp"
    with open(temp, "w", encoding="utf-8") as out:
        out.write(f"{name}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, directory / POINTER)
    fsync_dir(directory)


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
