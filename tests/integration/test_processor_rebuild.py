"""Rebuild, a run killed by SIGKILL, and the processor's entry points (timer function, `budget process`)."""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from shared.adapters.analytics.rebuild import rebuild
from shared.adapters.analytics.snapshot import freshness, open_reader, read_snapshot
from shared.adapters.analytics.sync import sync
from tests.integration.test_processor_sync import (  # noqa: F401 - the *_fixture names are fixtures
    apply_fixture,
    assert_consistent,
    assert_matches_mysql,
    created,
    deleted,
    mysql_fixture,
    store_path_fixture,
    store_rows,
    store_totals,
    updated,
)

ROOT = Path(__file__).resolve().parents[2]


def test_a_rebuild_equals_a_group_by_over_mysql(apply, mysql, db, store_path, user):
    rng = random.Random(user)
    batch = [created(user, rng) for _ in range(60)]
    apply(batch)
    apply([deleted(user, batch[0].transaction.id), updated(user, batch[1].transaction.id, category="moved")])
    seen: list[tuple[int, int]] = []

    result = rebuild(engine=mysql, path=store_path, progress=lambda done, total: seen.append((done, total)))

    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)
    assert seen and seen[-1][0] >= seen[-1][1] > 0  # others may add rows after the count
    with open_reader(store_path) as conn:
        state = freshness(conn)
    assert state["watermark"] == result.watermark
    assert state["transactions"] == result.transactions
    assert not Path(f"{store_path}.rebuild").exists()


def test_a_rebuild_over_a_live_store_is_seen_whole_and_the_sync_continues_from_it(apply, mysql, db, store_path, user):
    rng = random.Random(user)
    apply([created(user, rng) for _ in range(10)])
    sync(engine=mysql, path=store_path)
    # Drift the store on purpose (as a bug or a bad restore would): the rebuild must repair it.
    writer = sqlite3.connect(store_path, isolation_level=None)
    writer.execute("UPDATE monthly_totals SET count = count + 100 WHERE user_id = ?", (user,))
    writer.close()
    drifted = store_totals(store_path, user)

    reader = open_reader(store_path)
    with read_snapshot(reader):
        reader.execute("SELECT COUNT(*) FROM monthly_totals").fetchone()  # the snapshot starts here
        rebuild(engine=mysql, path=store_path)
        rows = reader.execute(
            "SELECT month, category, currency, count FROM monthly_totals WHERE user_id = ?", (user,)
        ).fetchall()
        assert {(m, c, cur): n for m, c, cur, n in rows} == {k: v[2] for k, v in drifted.items()}
    assert_matches_mysql(db, store_path, user)  # the same connection, a new read: the rebuilt store
    reader.close()

    more = created(user, rng)
    apply([more])
    sync(engine=mysql, path=store_path)
    assert str(more.transaction.id) in store_rows(store_path, user)
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)


_KILL_ON_SECOND_PAGE = """
import os, signal, sys
from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root

def die(page):
    if page == 2:
        os.kill(os.getpid(), signal.SIGKILL)

sync(engine=Root().engine, path=sys.argv[1], page_size=5, after_page=die)
"""


def test_a_run_killed_by_sigkill_leaves_a_consistent_store_and_the_next_run_converges(
    apply, mysql, db, store_path, user, infra
):
    rng = random.Random(user)
    apply([created(user, rng) for _ in range(5)])
    sync(engine=mysql, path=store_path)
    before = store_totals(store_path, user)
    apply([created(user, rng) for _ in range(20)])

    killed = subprocess.run(
        [sys.executable, "-c", _KILL_ON_SECOND_PAGE, str(store_path)],
        cwd=ROOT,
        env={**os.environ, **infra.env},
        timeout=120,
    )

    assert killed.returncode == -signal.SIGKILL
    assert store_totals(store_path, user) == before
    assert_consistent(store_path)
    again = sync(engine=mysql, path=store_path)
    assert not again.skipped  # the kernel released the dead process's lock
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)


def test_the_timer_function_syncs_into_the_configured_store(apply, db, user, caplog, root):
    from cli.runner.index import index
    from cli.runner.triggers import TimerRequest
    from functions.app import build

    _, app = build(root)
    fn = next(f for f in index(app) if f.name == "sync_analytics")
    assert fn.kind == "timerTrigger" and fn.trigger["schedule"] == "%SyncSchedule%"
    apply([created(user, currency="EUR", amount="4.20", type="expense", category="timer", date="2026-07-01")])

    with caplog.at_level(logging.INFO, logger="budget.processor"):
        fn.call(timer=TimerRequest(past_due=True))

    path = root.settings.analytics_store_path
    assert store_totals(path, user) == {("2026-07", "timer", "EUR"): (Decimal(0), Decimal("4.2"), 1)}
    assert "past due" in caplog.text
    assert "watermark" in caplog.text  # each run logs what it did


@pytest.fixture
def cli_store(tmp_path, infra_env):
    """The CLI reads its settings from the environment: the session's, with a store of its own."""
    path = tmp_path / "cli" / "analytics.db"
    infra_env.setenv("AnalyticsStorePath", str(path))
    return path


def _cli() -> typer.Typer:
    from cli.commands import process

    cli = typer.Typer()
    cli.callback()(lambda: None)  # a group, so the command is invoked by its name as in `budget`
    process.register(cli)
    return cli


def test_budget_process_syncs_and_says_what_it_did(apply, db, cli_store, user):
    apply([created(user)])
    result = CliRunner().invoke(_cli(), ["process"])
    assert result.exit_code == 0, result.output
    assert "applied" in result.output and "watermark 0 ->" in result.output
    assert_matches_mysql(db, cli_store, user)


def test_budget_process_rebuild_recomputes_the_store(apply, db, cli_store, user):
    apply([created(user), created(user)])
    result = CliRunner().invoke(_cli(), ["process", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt from" in result.output
    assert_matches_mysql(db, cli_store, user)
    assert_consistent(cli_store)
