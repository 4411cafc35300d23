"""Publishing snapshots for an analyzer on another host: real SQLite files, the real MariaDB.

The snapshot directory stands in for the Azure Files share both apps mount; the analyzer side only ever
sees it through `open_reader(<dir>)` and `queries.answer(store_path=<dir>)`, as in Azure.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.adapters.analytics.manifest import Listing
from shared.adapters.analytics.publish import (
    GRACE_S,
    POINTER,
    current_snapshot,
    parse_name,
    prune,
    publish_snapshot,
    read_manifest,
)
from shared.adapters.analytics.snapshot import freshness, open_reader, read_snapshot
from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from shared.problems import Problem
from shared.services import queries
from tests.integration.test_processor_rebuild import ROOT, _cli
from tests.integration.test_processor_sync import (  # noqa: F401 - the *_fixture names are fixtures
    apply_fixture,
    created,
    mysql_fixture,
    mysql_totals,
    store_path_fixture,
    store_totals,
)


@pytest.fixture(name="snapshots")
def snapshots_fixture(tmp_path) -> Path:
    return tmp_path / "share" / "snapshots"


def _spend(user: str, amount: str, month: str = "2026-05"):
    return created(user, currency="EUR", amount=amount, type="expense", category="rent", date=f"{month}-02")


def _published(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if parse_name(p.name))  # the manifests


def _expense(conn, user: str) -> int:
    return conn.execute("SELECT SUM(expense_e4) FROM monthly_totals WHERE user_id = ?", (user,)).fetchone()[0]


def _summary(directory: Path, user: str) -> dict:
    return queries.answer("monthly-summary", {"month": "2026-05"}, user_id=user, is_admin=False, store_path=directory)


def _files(directory: Path) -> list[str]:
    """The snapshot files of the directory: manifests, parts, rates."""
    listing = Listing.of([p.name for p in directory.iterdir()])
    return sorted([p.name for p in listing.published] + list(listing.data))


def test_a_published_snapshot_holds_what_the_sync_committed(apply, mysql, db, store_path, snapshots, user):
    apply([_spend(user, "10.00"), _spend(user, "2.50")])
    run = sync(engine=mysql, path=store_path)

    published = publish_snapshot(store_path, snapshots)

    assert current_snapshot(snapshots) == published
    assert parse_name(published.name).watermark == run.watermark
    assert store_totals(snapshots, user) == mysql_totals(db, user)
    with open_reader(snapshots) as conn:
        assert freshness(conn)["watermark"] == run.watermark  # the watermark travels with the manifest
    conn.close()
    manifest = read_manifest(published)
    for name in manifest.files():  # and inside every file: each holds one state, at that watermark
        part = sqlite3.connect(snapshots / name)
        assert part.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
        assert part.execute("SELECT watermark FROM sync_state").fetchone()[0] == run.watermark
        part.close()
    # Opened immutable: reading leaves no -wal, -shm or journal files on the share.
    assert sorted(p.name for p in snapshots.iterdir()) == sorted([POINTER, published.name, *manifest.files()])


def test_a_reader_keeps_the_snapshot_it_opened_while_a_new_one_is_published(
    apply, mysql, db, store_path, snapshots, user
):
    apply([_spend(user, "1.00")])
    sync(engine=mysql, path=store_path)
    publish_snapshot(store_path, snapshots)
    before = store_totals(snapshots, user)
    reader = open_reader(snapshots, user)

    try:
        apply([_spend(user, "2.00")])
        sync(engine=mysql, path=store_path)
        with read_snapshot(reader):
            first = _expense(reader, user)
            publish_snapshot(store_path, snapshots, keep=1, grace_s=0)  # and prunes what only the old one named
            second = _expense(reader, user)
        with read_snapshot(reader):
            later = _expense(reader, user)
    finally:
        reader.close()

    assert first == second == later == 10_000  # the old file, whole, for as long as it stays open
    assert len([n for n in _files(snapshots) if n.startswith("manifest-")]) == 1  # the old manifest is gone
    assert store_totals(snapshots, user) != before  # a new reader resolves CURRENT again: the new snapshot
    assert store_totals(snapshots, user) == mysql_totals(db, user)


_KILL_BEFORE_RENAME = """
import os, signal, sys
from shared.adapters.analytics.publish import publish_snapshot

publish_snapshot(sys.argv[1], sys.argv[2], before_rename=lambda temp: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_publisher_killed_before_its_rename_leaves_current_naming_a_complete_manifest(
    apply, mysql, db, store_path, snapshots, user
):
    apply([_spend(user, "3.00")])
    sync(engine=mysql, path=store_path)
    first = publish_snapshot(store_path, snapshots)
    pointer = (snapshots / POINTER).read_bytes()
    apply([_spend(user, "4.00")])
    sync(engine=mysql, path=store_path)
    before = set(snapshots.iterdir())

    killed = subprocess.run(
        [sys.executable, "-c", _KILL_BEFORE_RENAME, str(store_path), str(snapshots)],
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=120,
    )

    assert killed.returncode == -signal.SIGKILL
    left = sorted(set(snapshots.iterdir()) - before)
    temps = [p for p in left if p.name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].name.startswith(".manifest-")  # the manifest, not yet renamed
    assert set(left) - set(temps) and not {p.name for p in left} & read_manifest(first).files()  # its new files
    assert (snapshots / POINTER).read_bytes() == pointer
    assert current_snapshot(snapshots) == first
    assert all((snapshots / name).exists() for name in read_manifest(first).files())  # complete, every file there
    assert store_totals(snapshots, user)[("2026-05", "rent", "EUR")][1] == Decimal("3")

    # Once the grace period is over the dead publisher's files go; the next publication proceeds as usual.
    assert sorted(prune(snapshots, now=datetime.now(UTC) + timedelta(seconds=GRACE_S))) == left
    second = publish_snapshot(store_path, snapshots)
    assert current_snapshot(snapshots) == second != first
    assert store_totals(snapshots, user) == mysql_totals(db, user)
    assert not list(store_path.parent.glob(f"{store_path.name}.publish*"))  # its local scratch files too


def test_pruning_keeps_the_newest_snapshots_and_the_recently_superseded_ones(apply, mysql, store_path, snapshots, user):
    apply([_spend(user, "5.00")])
    sync(engine=mysql, path=store_path)
    start = datetime.now(UTC)
    minutes = (0, 10, 20, 30, 31, 32)

    names = []
    for m in minutes:
        apply([_spend(user, "0.01")])  # each publication has a change to write
        sync(engine=mysql, path=store_path)
        names.append(publish_snapshot(store_path, snapshots, keep=3, now=start + timedelta(minutes=m)).name)

    # 0 and 10 were superseded long enough ago; 20 is beyond the newest 3 but was superseded only 2 minutes ago.
    assert _published(snapshots) == sorted(names[2:])
    assert current_snapshot(snapshots).name == names[-1]
    newest = publish_snapshot(store_path, snapshots, keep=3, now=start + timedelta(minutes=40))
    assert _published(snapshots) == sorted([*names[-2:], newest.name])
    named = set().union(*(read_manifest(snapshots / n).files() for n in _published(snapshots)))
    assert set(_files(snapshots)) == named | set(_published(snapshots))  # no file that no manifest names is left


def test_the_analyzer_answers_from_the_new_snapshot_once_it_is_published(apply, mysql, store_path, snapshots, user):
    with pytest.raises(Problem) as before_any:
        _summary(snapshots, user)
    assert before_any.value.status == 503
    apply([_spend(user, "7.00")])
    sync(engine=mysql, path=store_path)
    publish_snapshot(store_path, snapshots)
    first = _summary(snapshots, user)

    apply([_spend(user, "8.00")])
    run = sync(engine=mysql, path=store_path)
    unpublished = _summary(snapshots, user)
    publish_snapshot(store_path, snapshots)
    published = _summary(snapshots, user)

    assert first["data"]["currencies"]["EUR"]["expense"] == "7.00"
    assert unpublished == first  # the analyzer sees only what was published
    assert published["data"]["currencies"]["EUR"]["expense"] == "15.00"
    assert published["freshness"]["watermark"] == run.watermark


@pytest.fixture
def snapshot_settings(infra, infra_env, tmp_path, snapshots):
    """The processor's settings in Azure: a local working store, snapshots published to the share."""
    store = tmp_path / "local" / "analytics.db"
    infra_env.setenv("AnalyticsStorePath", str(store))  # for the CLI, which reads its settings so
    infra_env.setenv("AnalyticsSnapshotDir", str(snapshots))
    return infra.settings(analytics_store_path=str(store), analytics_snapshot_dir=str(snapshots))


def _timer(settings):
    """The processor's timer function, as the function app built from these settings registers it."""
    from cli.runner.index import index
    from cli.runner.triggers import TimerRequest
    from functions.app import build

    _, app = build(Root(settings))
    tick = next(f for f in index(app) if f.name == "sync_analytics")
    return lambda: tick.call(timer=TimerRequest(past_due=False))


def test_the_timer_publishes_at_most_once_per_interval_and_the_cli_can_force_it(
    apply, db, user, snapshots, snapshot_settings
):
    tick = _timer(snapshot_settings)
    assert snapshot_settings.analytics_read_path == str(snapshots)  # what the analyzer app opens
    apply([_spend(user, "1.25")])
    tick()
    first = current_snapshot(snapshots)
    assert first is not None and store_totals(snapshots, user) == mysql_totals(db, user)

    apply([_spend(user, "1.50")])
    tick()
    assert current_snapshot(snapshots) == first  # the store moved on, but the last snapshot is too recent

    result = CliRunner().invoke(_cli(), ["process", "--publish"])
    assert result.exit_code == 0, result.output
    assert "published" in result.output
    assert current_snapshot(snapshots) != first
    assert store_totals(snapshots, user) == mysql_totals(db, user)

    forced = current_snapshot(snapshots)
    apply([_spend(user, "1.75")])
    _timer(snapshot_settings.model_copy(update={"analytics_snapshot_min_interval_s": 0}))()
    assert current_snapshot(snapshots) != forced
    assert store_totals(snapshots, user) == mysql_totals(db, user)


def test_budget_process_publish_needs_a_snapshot_directory(infra_env):
    infra_env.delenv("AnalyticsSnapshotDir", raising=False)
    result = CliRunner().invoke(_cli(), ["process", "--publish"])
    assert result.exit_code != 0
    assert "AnalyticsSnapshotDir" in result.output
