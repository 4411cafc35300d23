"""Publishing the analytics store for an analyzer on another host: immutable files and a manifest that names them.

The processor's working store is a WAL file on its own disk; WAL needs memory shared by every connection, so no
other host may open it. A publication writes, into `<dir>`, the files the layout calls for (layout.py: the users
that changed as one layer, some shards folded whole, the rates when they changed; everything the first time),
then a manifest naming every file of the snapshot, then replaces `<dir>/CURRENT` to name the manifest. Each file is
built on local disk, copied under a temporary name, fsynced and renamed; so is the manifest, and CURRENT last. A
reader that follows CURRENT always finds a complete manifest whose files are all there and never change (it opens
them with `immutable=1`: no locks, no `-shm`, safe on an SMB share), and a publisher that dies at any point leaves
CURRENT naming the previous complete snapshot. Files no recent manifest names are deleted after a grace period.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from shared.adapters.analytics.layout import Plan, StoreFacts, earned, full_reason, plan
from shared.adapters.analytics.manifest import (
    POINTER,
    Layer,
    Listing,
    Manifest,
    Published,
    Shard,
    data_name,
    due,
    manifest_name,
    parse_name,
    stale_temps,
    stamp,
    to_prune,
    unreferenced,
)
from shared.adapters.analytics.parts import copy_durably, write_part, write_rates
from shared.adapters.analytics.sharding import ROWS_PER_SHARD, changed_since, forget_changes, hash_range
from shared.adapters.analytics.writer import fsync_dir, immediate, writer_lock

log = logging.getLogger("budget.processor")

KEEP = 3  # newest manifests always kept
GRACE_S = 300.0  # how long a superseded snapshot stays for readers that resolved it before the switch


def current_snapshot(snapshot_dir: str | Path) -> Path | None:
    """What CURRENT names (a manifest; a whole snapshot file before shards); None before the first publication."""
    directory = Path(snapshot_dir)
    try:
        name = (directory / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if parse_name(name) is None:
        raise ValueError(f"{directory / POINTER} names {name!r}, which is not a snapshot")
    return directory / name


@functools.lru_cache(maxsize=8)
def _read_manifest(path: str) -> Manifest:
    with open(path, "rb") as file:
        return Manifest.from_json(file.read())


def read_manifest(path: Path) -> Manifest:
    """A manifest, parsed once per process: a published file never changes."""
    return _read_manifest(str(path))


def publish_snapshot(
    store: str | Path,
    snapshot_dir: str | Path,
    *,
    keep: int = KEEP,
    grace_s: float = GRACE_S,
    now: datetime | None = None,
    before_rename: Callable[[Path], None] | None = None,
    rows_per_shard: int = ROWS_PER_SHARD,
) -> Path:
    """Publish the store's committed state and make it CURRENT; returns the manifest.

    Holds the store's writer lock, so the store does not move while its files are written (a sync that comes
    meanwhile skips, and the next one catches up). `before_rename(temp)` runs once every file and the manifest are
    on the share but the manifest is not yet renamed (tests kill the process there).
    """
    directory, store = Path(snapshot_dir), Path(store)
    directory.mkdir(parents=True, exist_ok=True)
    if not store.exists():
        raise FileNotFoundError(f"no analytics store at {store} to publish: run a sync first")
    with writer_lock(store, wait=True):
        at = now or datetime.now(UTC)
        facts = _facts(store)
        if facts.state.pop("budgets_from", None) is not None:
            raise RuntimeError(f"the budgets of {store} are to be copied again from MySQL: sync before publishing")
        current = current_snapshot(directory)
        prev = read_manifest(current) if current and not parse_name(current.name).legacy else None
        full = prev is None or full_reason(prev, facts, rows_per_shard)
        decided = plan(prev, facts, [] if full else _changed(store, prev.watermark), rows_per_shard)
        scratch = store.with_name(f"{store.name}.publish")
        shutil.rmtree(scratch, ignore_errors=True)  # a publisher killed mid-way; none runs now, we hold the lock
        scratch.mkdir()
        try:
            manifest = _write_files(store, scratch, directory, decided, prev, facts, at)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        final = _write_manifest(directory, manifest, at, before_rename)
        _point_at(directory, final.name, at)
        _forget(store, manifest.watermark)
    kind = "full" if decided.full else f"{len(decided.layer)} users, {len(decided.fold)} shards folded"
    log.info("published analytics snapshot %s (watermark %d, %s)", final, manifest.watermark, kind)
    prune(directory, keep=keep, grace_s=grace_s, now=at)
    return final


def _write_files(
    store: Path, scratch: Path, directory: Path, decided: Plan, prev: Manifest | None, facts: StoreFacts, at: datetime
) -> Manifest:
    run = uuid.uuid4().hex[:8]  # two publications never share a file name, even at one instant

    def put(name: str, write: Callable[[Path], int]) -> int:
        local = scratch / name
        count = write(local)
        copy_durably(local, directory, name)
        local.unlink()
        return count

    state, watermark = facts.state, facts.watermark
    shards = list(prev.shards) if prev is not None and not decided.full else [Shard("", 0)] * decided.shards
    for k in decided.fold:
        name, span = data_name("part", at, f"{run}-s{k}"), hash_range(k, decided.shards)
        rows = put(name, lambda p, s=span: write_part(store, p, state=state, watermark=watermark, hashes=s))
        shards[k] = Shard(name, rows)
    layers = list(decided.layers)
    credit = decided.credit
    if decided.layer:
        name = data_name("part", at, f"{run}-layer")
        rows = put(name, lambda p: write_part(store, p, state=state, watermark=watermark, users=decided.layer))
        layers.append(Layer(name, tuple(decided.layer)))
        credit += earned(decided, rows)
    rates = prev.rates if prev is not None and not decided.rates and not decided.full else ""
    if not rates:
        rates = data_name("rates", at, run)
        put(rates, lambda p: write_rates(store, p, state=state, watermark=watermark))
    fsync_dir(directory)
    return Manifest(watermark, state, tuple(shards), rates, tuple(layers), credit)


def _facts(store: Path) -> StoreFacts:
    conn = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        cursor = conn.execute("SELECT * FROM sync_state WHERE id = 1")
        row = cursor.fetchone()
        state = dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else {}
        state.pop("id", None)
        watermark = int(state.pop("watermark", 0) or 0)
        log_from = int(state.pop("log_from", 0) or 0)
        rates_seq = conn.execute("SELECT COALESCE(MAX(change_seq), 0) FROM exchange_rates").fetchone()[0]
    finally:
        conn.close()
    return StoreFacts(watermark, state, rates_seq, log_from)


def _changed(store: Path, after: int) -> list[str]:
    """Users with a change above the last publication's watermark: the tail of the store's log."""
    conn = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return changed_since(conn, after)
    finally:
        conn.close()


def _forget(store: Path, watermark: int) -> None:
    """Once CURRENT names the new manifest, the log up to its watermark has served: the next publication reads on
    from there (or, should CURRENT ever name an older one, sees that the log starts later and writes every shard)."""
    conn = sqlite3.connect(store, isolation_level=None, timeout=30)
    try:
        with immediate(conn):
            forget_changes(conn, watermark)
    finally:
        conn.close()


def publish_if_due(
    store_path: str | Path, snapshot_dir: str | Path, *, min_interval_s: float, now: datetime | None = None
) -> Path | None:
    """After a sync run: publish when the store is ahead of CURRENT and the last publication is old enough."""
    store = Path(store_path)
    if not store.exists():
        return None
    at = now or datetime.now(UTC)
    current = current_snapshot(snapshot_dir)
    if not due(_facts(store).watermark, current and parse_name(current.name), min_interval_s=min_interval_s, now=at):
        return None
    return publish_snapshot(store, snapshot_dir, now=at)


def prune(snapshot_dir: str | Path, *, keep: int = KEEP, grace_s: float = GRACE_S, now: datetime) -> list[Path]:
    """Delete superseded manifests, files no remaining manifest names, and dead publishers' temporary files."""
    directory = Path(snapshot_dir)
    listing = Listing.of([p.name for p in directory.iterdir()])
    current = current_snapshot(directory)
    doomed = to_prune(listing.published, current=current and current.name, keep=keep, grace_s=grace_s, now=now)
    referenced: set[str] = set()
    for kept in (p for p in listing.published if p not in doomed and not p.legacy):
        referenced |= read_manifest(directory / kept.name).files()
    names = [p.name for p in doomed]
    names += unreferenced(listing.data, referenced, grace_s=grace_s, now=now)
    names += stale_temps(listing.temps, grace_s=grace_s, now=now)
    deleted = []
    for name in names:
        try:
            (directory / name).unlink(missing_ok=True)
        except OSError as exc:
            # On SMB a file a reader still has open cannot be deleted; it is tried again after the next publish.
            log.warning("could not delete old analytics snapshot file %s yet: %s", name, exc)
            continue
        deleted.append(directory / name)
    return deleted


def _write_manifest(
    directory: Path, manifest: Manifest, at: datetime, before_rename: Callable[[Path], None] | None
) -> Path:
    final = directory / manifest_name(manifest.watermark, at)
    temp = directory / f".{final.name}.tmp"
    with open(temp, "wb") as out:
        out.write(manifest.to_json())
        out.flush()
        os.fsync(out.fileno())
    if before_rename:
        before_rename(temp)
    os.replace(temp, final)
    return final


def _point_at(directory: Path, name: str, at: datetime) -> None:
    temp = directory / f".{POINTER}-{stamp(at)}-{os.getpid()}.tmp"
    with open(temp, "w", encoding="utf-8") as out:
        out.write(f"{name}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, directory / POINTER)
    fsync_dir(directory)


__all__ = ["GRACE_S", "KEEP", "POINTER", "Published", "current_snapshot", "parse_name", "prune", "publish_snapshot"]
