"""A snapshot published as shards, layers and a manifest, read as one store: real SQLite files, the real MariaDB.

Shards are cut small here (a sixth of the store each) so that a few changes fold some back, as they would at
10,000,000 rows. Every comparison reads the same committed state twice: from the working store and from the
snapshot published right after it.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.analytics.publish import current_snapshot, publish_snapshot, read_manifest
from shared.adapters.analytics.snapshot import freshness, open_reader, read_snapshot
from shared.adapters.analytics.sync import sync
from shared.adapters.analytics.writer import connect_writer
from shared.domain.accounts import UserSettings
from shared.domain.events import BudgetSet, SettingsSet
from shared.domain.transactions import Budget
from shared.services import queries
from tests.integration.test_processor_sync import (  # noqa: F401 - the *_fixture names are fixtures
    apply_fixture,
    created,
    mysql_fixture,
    store_path_fixture,
    updated,
)

YEAR = 2987  # booking dates no other module uses: the administrators' figures of its months are this module's


@pytest.fixture(name="snapshots")
def snapshots_fixture(tmp_path) -> Path:
    return tmp_path / "share" / "snapshots"


def _publish(store: Path, snapshots: Path, **kwargs) -> Path:
    with open_reader(store) as conn:
        rows = freshness(conn)["transactions"]
    conn.close()
    return publish_snapshot(store, snapshots, rows_per_shard=max(1, rows // 6), **kwargs)


def _ask(path: Path, name: str, params: dict, user: str, admin: bool = False) -> dict:
    return queries.answer(name, params, user_id=user, is_admin=admin, store_path=str(path))


USER_REPORTS = (
    ("monthly-summary", {"month": f"{YEAR}-03"}),
    ("category-breakdown", {"from": f"{YEAR}-01-15", "to": f"{YEAR}-05-10"}),
    ("budget-status", {"month": f"{YEAR}-03"}),
    ("trend", {"months": "6", "until": f"{YEAR}-06"}),
    ("top", {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", "limit": "3"}),
    ("search", {"from": f"{YEAR}-02-01", "limit": "50"}),
    ("net-worth", {"months": "3", "until": f"{YEAR}-06"}),
)
ADMIN_REPORTS = (
    ("all-users-summary", {"month": f"{YEAR}-03"}),
    ("active-users", {"months": "6", "until": f"{YEAR}-06"}),
)


def _spend(user: str, rng: random.Random, **over):
    body = {"currency": "EUR", "type": "expense", "date": f"{YEAR}-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}"}
    return created(user, rng, **{**body, **over})


def test_every_report_answers_from_the_snapshot_what_it_answers_from_the_store(apply, mysql, store_path, snapshots):
    rng = random.Random(11)
    users = [f"shards-{uuid.uuid4().hex[:8]}" for _ in range(10)]
    events = [_spend(u, rng, currency=rng.choice(["EUR", "USD"])) for u in users for _ in range(40)]
    events += [BudgetSet(user_id=u, budget=Budget(category="rent", month=f"{YEAR}-03", currency="EUR", amount="50"))
               for u in users[:4]]  # fmt: skip
    events.append(SettingsSet(user_id=users[0], settings=UserSettings(home_currency="EUR")))  # converts its reports
    apply(events)
    sync(engine=mysql, path=store_path)
    _publish(store_path, snapshots)
    _same_answers(store_path, snapshots, users)
    layered = folded = 0
    for round_ in range(5):  # each round changes some users: a layer each, and folds once credit allows
        before = read_manifest(current_snapshot(snapshots))
        changed = rng.sample(users, 3)
        ids = {u: [e.transaction.id for e in events if getattr(e, "user_id", None) == u and hasattr(e, "transaction")]
               for u in changed}  # fmt: skip
        apply([updated(u, rng.choice(ids[u]), amount=f"{round_ + 1}.25", currency="EUR") for u in changed])
        apply([_spend(u, rng) for u in changed for _ in range(10)])
        sync(engine=mysql, path=store_path)
        manifest = read_manifest(_publish(store_path, snapshots))
        layered += bool(manifest.layers)
        folded += any(a != b for a, b in zip(before.shards, manifest.shards, strict=True))
        _same_answers(store_path, snapshots, users)
    assert len(manifest.shards) > 1 and layered and folded  # read from several files: shards, layers, folded shards


def _same_answers(store_path: Path, snapshots: Path, users: list[str]) -> None:
    manifest = read_manifest(current_snapshot(snapshots))
    assert len({manifest.owner(u) for u in users}) > 1
    for user in users:
        for name, params in USER_REPORTS:
            assert _ask(snapshots, name, params, user) == _ask(store_path, name, params, user), (name, user)
    for name, params in ADMIN_REPORTS:  # every user once, over every shard and layer
        assert _ask(snapshots, name, params, "admin", True) == _ask(store_path, name, params, "admin", True), name
    summary = _ask(snapshots, "all-users-summary", {"month": f"{YEAR}-03"}, "admin", True)["data"]
    assert 0 < summary["users"] <= len(users)


def test_a_reader_never_sees_a_mix_of_two_publications(apply, mysql, store_path, snapshots):
    """A publisher thread changes some users, syncs and publishes, over and over (layers, folds, pruning after a
    grace period of a second); readers meanwhile check that every user's file and the administrators' sum over every
    shard and layer say one publication's state, the one their manifest's watermark names."""
    rng = random.Random(5)
    users = [f"mix-{uuid.uuid4().hex[:8]}" for _ in range(12)]
    first = {u: created(u, rng, currency="EUR", type="expense", category="mix", date=f"{YEAR}-07-01") for u in users}
    apply(list(first.values()))
    apply([_spend(u, rng, date=f"{YEAR}-08-01") for u in users for _ in range(30)])  # weight, so shards fold
    expected: dict[int, dict[str, int]] = {}

    def record() -> None:
        with open_reader(store_path) as conn, read_snapshot(conn):
            rows = conn.execute(
                "SELECT user_id, expense_e4 FROM monthly_totals WHERE month = ? AND category = 'mix'", (f"{YEAR}-07",)
            ).fetchall()
            expected[freshness(conn)["watermark"]] = {u: e for u, e in rows if u in first}
        conn.close()

    sync(engine=mysql, path=store_path)
    record()
    _publish(store_path, snapshots)
    done, failures, checked = threading.Event(), [], []

    def publisher() -> None:
        try:
            for round_ in range(12):
                changed = rng.sample(users, 3)
                apply([updated(u, first[u].transaction.id, amount=f"{round_ + 2}.00", currency="EUR") for u in changed])
                sync(engine=mysql, path=store_path)
                record()  # before the publication: a reader may see it at once
                _publish(store_path, snapshots, grace_s=1, keep=1)  # a reader opens its files within 1 s
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            done.set()

    def read_once() -> None:
        root = open_reader(snapshots)
        try:
            watermark = freshness(root)["watermark"]
            seen = {}
            for u in users:
                row = (
                    root.for_user(u)
                    .execute(
                        "SELECT expense_e4 FROM monthly_totals WHERE user_id = ? AND month = ? AND category = 'mix'",
                        (u, f"{YEAR}-07"),
                    )
                    .fetchone()
                )
                seen[u] = row[0]
            assert seen == expected[watermark]
            checked.append(watermark)
        finally:
            root.close()
        # The administrators' sum over every shard and layer is one publication's too (only this test books here).
        admin = queries.answer("all-users-summary", {"month": f"{YEAR}-07"}, user_id="a", is_admin=True,
                               store_path=str(snapshots))  # fmt: skip
        state = expected[admin["freshness"]["watermark"]]
        assert admin["data"]["users"] == len(state)
        assert Decimal(admin["data"]["currencies"]["EUR"]["expense"]) == Decimal(sum(state.values())) / 10_000

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        while not done.is_set():
            read_once()
    finally:
        thread.join(120)
    read_once()
    assert not failures, failures
    assert len(set(checked)) > 1  # the readers saw several publications come and go
    assert len(read_manifest(current_snapshot(snapshots)).shards) > 1


def _log(store: Path) -> list[int]:
    conn = sqlite3.connect(store)
    try:
        return [r[0] for r in conn.execute("SELECT change_seq FROM user_changes ORDER BY 1")]
    finally:
        conn.close()


def test_a_store_from_before_shards_gains_its_users_and_is_published_whole_then_by_its_log(
    apply, mysql, store_path, snapshots
):
    rng = random.Random(2)
    users = [f"old-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    apply([_spend(u, rng) for u in users])
    sync(engine=mysql, path=store_path)
    old = sqlite3.connect(store_path, isolation_level=None)  # as the previous version left its stores
    old.executescript(
        "DROP TABLE users; DROP TABLE user_changes; ALTER TABLE sync_state DROP COLUMN log_from;"
        "CREATE INDEX ix_tx_user_month_cat ON transactions (user_id, month, category);"
    )
    old.close()

    connect_writer(store_path).close()  # as the next process's writer connection upgrades it
    run = sync(engine=mysql, path=store_path)
    first = read_manifest(publish_snapshot(store_path, snapshots))
    apply([_spend(users[0], rng)])
    sync(engine=mysql, path=store_path)
    second = read_manifest(publish_snapshot(store_path, snapshots))

    conn = sqlite3.connect(store_path)
    held = {r[0] for r in conn.execute("SELECT user_id FROM users")}
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")}
    conn.close()
    assert set(users) <= held and "ix_tx_user_month_cat" not in indexes
    assert first.watermark == run.watermark and not first.layers  # every user, in the shards
    assert [x.users for x in second.layers] == [(users[0],)]  # then only the user that changed
    assert all(seq > second.watermark for seq in _log(store_path))  # published: that much of the log is gone
    summary = _ask(snapshots, "monthly-summary", {"month": f"{YEAR}-01"}, users[0])
    assert summary == _ask(store_path, "monthly-summary", {"month": f"{YEAR}-01"}, users[0])


def test_a_publication_after_a_watermark_the_log_no_longer_reaches_writes_every_shard(
    apply, mysql, store_path, snapshots
):
    rng = random.Random(3)
    user = f"log-{uuid.uuid4().hex[:8]}"
    apply([_spend(user, rng)])
    sync(engine=mysql, path=store_path)
    first = publish_snapshot(store_path, snapshots)
    apply([_spend(user, rng)])
    sync(engine=mysql, path=store_path)
    publish_snapshot(store_path, snapshots)  # prunes the log up to its watermark
    (snapshots / "CURRENT").write_text(f"{first.name}\n")  # the share restored to an older snapshot
    apply([_spend(user, rng)])
    sync(engine=mysql, path=store_path)

    third = read_manifest(publish_snapshot(store_path, snapshots))

    assert not third.layers and all(s.file.endswith(tuple(f"-s{k}.db" for k in range(len(third.shards))))
                                    for s in third.shards)  # fmt: skip
    assert _ask(snapshots, "trend", {"months": "6", "until": f"{YEAR}-06"}, user) == _ask(
        store_path, "trend", {"months": "6", "until": f"{YEAR}-06"}, user
    )
