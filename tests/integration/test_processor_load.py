"""A full load in committed steps across runs: killed and resumed, paused by its budget, and what readers see
meanwhile. Against the real MariaDB and real SQLite files."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from shared.adapters.analytics.load import StepSizes, in_progress, load, scratch_path
from shared.adapters.analytics.publish import current_snapshot
from shared.adapters.analytics.rebuild import rebuild
from shared.adapters.analytics.snapshot import freshness, open_reader
from shared.adapters.analytics.sync import sync
from shared.problems import Problem
from shared.services import queries
from shared.services.processor import Processor
from tests.integration.test_processor_accounts import dump
from tests.integration.test_processor_rebuild import ROOT
from tests.integration.test_processor_sync import (  # noqa: F401 - the *_fixture names are fixtures
    apply_fixture,
    assert_consistent,
    assert_matches_mysql,
    created,
    deleted,
    mysql_fixture,
    store_path_fixture,
    updated,
)

_KILL_AFTER_STEPS = """
import os, signal, sys
from shared.adapters.analytics.load import StepSizes, load
from shared.bootstrap import Root

def die(phase, steps):
    if steps == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)

load(engine=Root().engine, path=sys.argv[1], budget_s=None, reason="killed", after_step=die,
     sizes=StepSizes(page=7, users=3))
"""


def _checkpoint(store: Path) -> tuple:
    conn = sqlite3.connect(scratch_path(store))
    try:
        return conn.execute("SELECT phase, key, rows_read FROM load_state").fetchone()
    finally:
        conn.close()


def _ledger(apply, user: str, n: int) -> None:
    rng = random.Random(user)
    batch = [created(user, rng) for _ in range(n)]
    apply(batch)
    apply([deleted(user, batch[0].transaction.id), updated(user, batch[1].transaction.id, category="moved")])


def test_a_load_killed_mid_way_resumes_from_its_checkpoint_and_equals_a_rebuild(
    apply, mysql, db, store_path, user, infra, tmp_path
):
    _ledger(apply, user, 40)

    killed = subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_STEPS, str(store_path), "5"],
        cwd=ROOT,
        env={**os.environ, **infra.env},
        timeout=120,
    )

    assert killed.returncode == -signal.SIGKILL
    assert not store_path.exists() and in_progress(store_path)  # readers have nothing half-loaded to read
    phase, key, rows_read = _checkpoint(store_path)
    assert (phase, rows_read) == (0, 5 * 7) and key  # five pages of transactions committed, then killed in a step
    resumed = load(engine=mysql, path=store_path, budget_s=None, reason="resumed", sizes=StepSizes(page=7, users=3))

    assert resumed.done and resumed.runs == 2 and not in_progress(store_path)
    whole = rebuild(engine=mysql, path=tmp_path / "rebuilt.db")
    assert dump(store_path, user) == dump(tmp_path / "rebuilt.db", user)  # every table, row for row
    assert resumed.watermark <= whole.watermark
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)
    with open_reader(store_path) as conn:
        assert freshness(conn)["rebuild_reason"] == "killed"  # the reason it began with
    conn.close()


def _answer(path, user: str) -> dict:
    return queries.answer("trend", {"months": "12", "until": "2026-12"}, user_id=user, is_admin=False, store_path=path)


def test_a_new_instance_loads_in_steps_across_timer_runs_while_readers_keep_the_published_snapshot(
    apply, mysql, db, user, tmp_path
):
    snapshots = tmp_path / "share"
    _ledger(apply, user, 12)
    old = Processor(engine=mysql, store_path=str(tmp_path / "old.db"), snapshot_dir=str(snapshots), min_interval_s=0)
    old.run()  # loads, and (quick: well within its budget) syncs and publishes in the same run
    published = current_snapshot(snapshots)
    before = _answer(snapshots, user)
    _ledger(apply, user, 5)  # written while the new instance loads: its first sync picks them up
    new = Processor(
        engine=mysql, store_path=str(tmp_path / "new.db"), snapshot_dir=str(snapshots), min_interval_s=0,
        load_budget_s=1e-9,  # one step a run
    )  # fmt: skip

    runs = []
    while not runs or not runs[-1].done:
        runs.append(new.run())
        assert current_snapshot(snapshots) == published and _answer(snapshots, user) == before
        if not runs[-1].done:
            with pytest.raises(Problem) as not_built:
                _answer(tmp_path / "new.db", user)
            assert not_built.value.status == 503
        assert len(runs) < 100
    synced = new.run()  # its last step spent the (tiny) budget: the next tick syncs what was written, publishes

    assert len(runs) > 5 and [r.runs for r in runs] == list(range(1, len(runs) + 1))
    assert all(r.steps == 1 for r in runs) and [r.done for r in runs].count(True) == 1
    assert not synced.skipped and synced.watermark >= runs[-1].watermark
    assert current_snapshot(snapshots) != published
    assert _answer(snapshots, user)["data"] == _answer(tmp_path / "new.db", user)["data"] != before["data"]
    assert_matches_mysql(db, tmp_path / "new.db", user)
    assert_consistent(tmp_path / "new.db")


def test_a_store_from_another_source_is_reloaded_in_steps_and_readers_keep_it_until_then(
    apply, mysql, db, store_path, user, tmp_path
):
    _ledger(apply, user, 10)
    sync(engine=mysql, path=store_path)
    writer = sqlite3.connect(store_path, isolation_level=None)
    writer.execute("UPDATE sync_state SET source_id = 'another-database'")
    writer.execute("UPDATE monthly_totals SET expense_e4 = expense_e4 + 10000 WHERE user_id = ?", (user,))  # wrong
    writer.close()
    wrong = _answer(store_path, user)
    processor = Processor(engine=mysql, store_path=str(store_path), load_budget_s=1e-9)

    first = processor.run()
    while not (last := processor.run()).done:
        assert _answer(store_path, user) == wrong  # the old store, whole, until the load is in place

    assert not first.done and first.runs == 1
    with open_reader(store_path) as conn:
        state = freshness(conn)
    conn.close()
    assert "another-database" in state["rebuild_reason"] and state["watermark"] == last.watermark
    assert _answer(store_path, user) != wrong
    rebuild(engine=mysql, path=tmp_path / "whole.db")
    assert dump(store_path, user) == dump(tmp_path / "whole.db", user)
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)
