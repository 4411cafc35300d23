"""The processor against the real MariaDB and a real SQLite file: exact aggregates, updates and deletions,
late commits, killed runs and concurrent runs.

Other tests write to the same database during the session, so every comparison is per user, while the
sync itself carries everyone's rows.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shared.adapters.analytics.schema import from_e4
from shared.adapters.analytics.snapshot import freshness, open_reader, read_snapshot
from shared.adapters.analytics.sync import sync
from shared.domain.events import BudgetSet, TransactionCreated, TransactionDeleted, TransactionUpdated
from shared.domain.transactions import Budget, NewTransaction, TransactionChanges
from tests.support.wait import until

CURRENCIES = {"EUR": 2, "JPY": 0, "KWD": 3, "USD": 2}
CATEGORIES = ("groceries", "rent", "salary", "fun")


@pytest.fixture(name="store_path")
def store_path_fixture(tmp_path):
    return tmp_path / "analytics.db"


@pytest.fixture(name="mysql")
def mysql_fixture(root):
    """The engine the processor uses in production: the composition root's, READ COMMITTED."""
    return root.engine


@pytest.fixture(name="apply")
def apply_fixture(root):
    return root.store.apply


def _amount(rng: random.Random, currency: str) -> str:
    digits = CURRENCIES[currency]
    units = rng.randint(1, 5_000_000)
    return str(Decimal(units).scaleb(-digits)) if digits else str(units)


def created(user: str, rng: random.Random | None = None, **over) -> TransactionCreated:
    rng = rng or random.Random()
    currency = over.pop("currency", rng.choice(list(CURRENCIES)))
    body = {
        "id": str(uuid.uuid4()),
        "type": rng.choice(["income", "expense"]),
        "currency": currency,
        "amount": over.pop("amount", _amount(rng, currency)),
        "category": rng.choice(CATEGORIES),
        "date": (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 200))).isoformat(),
        "tags": ["t"],
    }
    body.update(over)
    return TransactionCreated(user_id=user, transaction=NewTransaction(**body))


def updated(user: str, tid, **changes) -> TransactionUpdated:
    return TransactionUpdated(user_id=user, transaction_id=tid, changes=TransactionChanges(**changes))


def deleted(user: str, tid) -> TransactionDeleted:
    return TransactionDeleted(user_id=user, transaction_id=tid)


def mysql_totals(db, user: str) -> dict:
    """The aggregates, computed independently by MariaDB from the system of record."""
    query = sa.text(
        "SELECT DATE_FORMAT(booking_date, '%Y-%m'), category, currency, "
        "SUM(CASE WHEN type = 'income' THEN amount ELSE 0 END), "
        "SUM(CASE WHEN type = 'expense' THEN amount ELSE 0 END), COUNT(*) "
        "FROM transactions WHERE user_id = :u AND deleted = 0 GROUP BY 1, 2, 3"
    )
    with db.connect() as conn:
        return {(m, c, cur): (Decimal(i), Decimal(e), n) for m, c, cur, i, e, n in conn.execute(query, {"u": user})}


def store_totals(path, user: str) -> dict:
    """The user's totals in the store, or in the snapshot published to `path` (a directory): the user's file."""
    with open_reader(path, user) as conn:
        rows = conn.execute(
            "SELECT month, category, currency, income_e4, expense_e4, count FROM monthly_totals WHERE user_id = ?",
            (user,),
        ).fetchall()
    return {(m, c, cur): (from_e4(i), from_e4(e), n) for m, c, cur, i, e, n in rows}


def mysql_rows(db, user: str) -> dict:
    query = sa.text("SELECT id, amount, category, version FROM transactions WHERE user_id = :u AND deleted = 0")
    with db.connect() as conn:
        return {i: (Decimal(a), c, v) for i, a, c, v in conn.execute(query, {"u": user})}


def store_rows(path, user: str) -> dict:
    with open_reader(path, user) as conn:
        rows = conn.execute("SELECT id, amount_e4, category, version FROM transactions WHERE user_id = ?", (user,))
        return {i: (from_e4(a), c, v) for i, a, c, v in rows}


def assert_consistent(path) -> None:
    """The store agrees with itself: totals are the sum of its rows' parts (each split under its own category, each
    transaction counted once), the accounts' months the sum of their entries, the live count its row count."""
    with open_reader(path) as conn, read_snapshot(conn):
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recomputed = conn.execute(
            "SELECT user_id, month, category, currency, "
            "SUM(CASE WHEN type = 'income' THEN amount_e4 ELSE 0 END), "
            "SUM(CASE WHEN type = 'expense' THEN amount_e4 ELSE 0 END), COUNT(*), SUM(idx = 0) "
            "FROM transaction_parts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        ).fetchall()
        totals = conn.execute(
            "SELECT user_id, month, category, currency, income_e4, expense_e4, count, transactions "
            "FROM monthly_totals ORDER BY 1, 2, 3, 4"
        ).fetchall()
        assert [tuple(r) for r in totals] == [tuple(r) for r in recomputed]
        entries = conn.execute(
            "SELECT user_id, account_id, month, SUM(amount), COUNT(*) FROM ("
            "SELECT user_id, account_id, month, CASE type WHEN 'income' THEN amount_e4 ELSE -amount_e4 END AS amount "
            "FROM transactions WHERE account_id IS NOT NULL "
            "UNION ALL SELECT user_id, from_account, month, -amount_e4 FROM transfers "
            "UNION ALL SELECT user_id, to_account, month, to_amount_e4 FROM transfers) "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ).fetchall()
        months = conn.execute("SELECT * FROM account_months ORDER BY 1, 2, 3").fetchall()
        assert [tuple(r) for r in months] == [tuple(r) for r in entries]
        live = conn.execute("SELECT COUNT(*) FROM transactions").fetchone()[0]
        assert freshness(conn)["transactions"] == live


def assert_matches_mysql(db, path, user: str) -> None:
    assert store_totals(path, user) == mysql_totals(db, user)
    assert store_rows(path, user) == mysql_rows(db, user)


def test_after_a_run_the_totals_equal_a_group_by_over_mysql(apply, mysql, db, store_path, user):
    rng = random.Random(user)
    apply([created(user, rng) for _ in range(120)])

    result = sync(engine=mysql, path=store_path)

    assert not result.skipped
    assert result.rows_read >= 120 and result.rows_applied >= 120
    assert mysql_totals(db, user)  # the comparison below compares something
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)
    with open_reader(store_path) as conn:
        assert freshness(conn)["watermark"] == result.watermark
        assert freshness(conn)["synced_at"] is not None


def test_money_stays_exact_down_to_the_minor_unit(apply, mysql, db, store_path, user):
    apply(
        [
            created(user, currency="KWD", amount="0.001", type="income", category="c", date="2026-03-01"),
            created(user, currency="KWD", amount="999999999.999", type="income", category="c", date="2026-03-02"),
            created(user, currency="JPY", amount="1", type="expense", category="c", date="2026-03-03"),
        ]
    )
    sync(engine=mysql, path=store_path)
    totals = store_totals(store_path, user)
    assert totals[("2026-03", "c", "KWD")] == (Decimal("1000000000.0000"), Decimal(0), 2)
    assert totals[("2026-03", "c", "JPY")] == (Decimal(0), Decimal(1), 1)


def test_updates_and_deletes_move_the_totals(apply, mysql, db, store_path, user):
    a = created(user, currency="EUR", amount="10.00", type="expense", category="fun", date="2026-02-10")
    b = created(user, currency="EUR", amount="5.00", type="expense", category="fun", date="2026-02-11")
    c = created(user, currency="EUR", amount="7.00", type="income", category="rent", date="2026-04-01")
    apply([a, b, c])
    sync(engine=mysql, path=store_path)
    assert store_totals(store_path, user)[("2026-02", "fun", "EUR")] == (Decimal(0), Decimal("15.00"), 2)

    apply(
        [
            updated(user, a.transaction.id, amount="12.25", currency="EUR"),  # same bucket, new amount
            updated(user, b.transaction.id, category="rent", date="2026-04-02"),  # moves to another bucket
            deleted(user, c.transaction.id),  # empties the rent bucket's income
        ]
    )
    result = sync(engine=mysql, path=store_path)

    assert result.rows_applied >= 3
    totals = store_totals(store_path, user)
    assert totals == {
        ("2026-02", "fun", "EUR"): (Decimal(0), Decimal("12.25"), 1),
        ("2026-04", "rent", "EUR"): (Decimal(0), Decimal("5.00"), 1),
    }
    assert_matches_mysql(db, store_path, user)

    apply([deleted(user, a.transaction.id), deleted(user, b.transaction.id)])
    sync(engine=mysql, path=store_path)
    assert store_totals(store_path, user) == {}  # a bucket whose count reaches 0 is gone
    assert store_rows(store_path, user) == {}
    assert_consistent(store_path)


def test_created_and_deleted_between_two_runs_never_shows(apply, mysql, db, store_path, user):
    sync(engine=mysql, path=store_path)
    a = created(user)
    apply([a])
    apply([deleted(user, a.transaction.id)])
    sync(engine=mysql, path=store_path)
    assert store_rows(store_path, user) == {}
    assert_consistent(store_path)


def test_budgets_and_budget_against_actual(apply, mysql, db, store_path, user):
    apply(
        [
            BudgetSet(user_id=user, budget=Budget(category="fun", month="2026-05", currency="EUR", amount="100.00")),
            created(user, currency="EUR", amount="30.50", type="expense", category="fun", date="2026-05-03"),
        ]
    )
    sync(engine=mysql, path=store_path)
    apply([BudgetSet(user_id=user, budget=Budget(category="fun", month="2026-05", currency="EUR", amount="80.00"))])
    sync(engine=mysql, path=store_path)
    with open_reader(store_path) as conn:
        row = conn.execute(
            "SELECT budget_e4, spent_e4, remaining_e4 FROM budget_vs_actual WHERE user_id = ?", (user,)
        ).fetchone()
    assert [from_e4(v) for v in row] == [Decimal("80"), Decimal("30.5"), Decimal("49.5")]


def test_a_transaction_committed_after_a_sync_passed_its_timestamp_is_picked_up(
    apply, mysql, db, infra, store_path, user
):
    """Storage writes A, then waits on a lock before committing; a sync runs and commits meanwhile.

    A's last_updated is earlier than that sync, so a timestamp watermark would skip A forever. The
    change sequence does not: A's sequence is above what the sync saw committed.
    """
    b = created(user, category="held")
    apply([b])
    sync(engine=mysql, path=store_path)
    late = created(user, category="late")

    with db.connect() as conn:
        counter = conn.execute(sa.text("SELECT value FROM change_counter WHERE id = 1")).scalar_one()
    blocker = infra.direct_engine().connect()
    blocker.begin()
    # The batch's last write is its outbox row, numbered after its two changes: an uncommitted row with that
    # number makes storage insert A and update B, then wait, its transaction still open.
    blocker.execute(
        sa.text("INSERT INTO outbox (seq, records) VALUES (:s, :r)"), {"s": counter + 2, "r": f'["{user}"]'}
    )
    writer = threading.Thread(target=apply, args=([late, updated(user, b.transaction.id, category="moved")],))
    writer.start()
    try:
        until(lambda: _waiting_on_lock(db, "outbox"), timeout=20, what="storage to block before its commit")
        with db.connect() as conn:
            sync_started = conn.execute(sa.text("SELECT NOW(6)")).scalar_one()
        during = sync(engine=mysql, path=store_path)
        assert str(late.transaction.id) not in store_rows(store_path, user)  # not committed yet
    finally:
        blocker.rollback()
        blocker.close()
        writer.join(30)
    assert not writer.is_alive()

    with db.connect() as conn:
        written_at, seq = conn.execute(
            sa.text("SELECT last_updated, change_seq FROM transactions WHERE user_id = :u AND id = :i"),
            {"u": user, "i": str(late.transaction.id)},
        ).one()
    assert written_at < sync_started  # the classic loss: its timestamp is behind a sync that ran
    assert seq > during.watermark  # but its sequence is ahead of that sync's watermark

    sync(engine=mysql, path=store_path)
    rows = store_rows(store_path, user)
    assert rows[str(late.transaction.id)][1] == "late"
    assert rows[str(b.transaction.id)][1] == "moved"
    assert_matches_mysql(db, store_path, user)


def _waiting_on_lock(db, user: str) -> bool:
    with db.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT COUNT(*) FROM information_schema.innodb_trx "
                    "WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE :q"
                ),
                {"q": f"%{user}%"},
            ).scalar_one()
        )


class Killed(Exception):
    """Raised from the after-page hook: the run dies midway, as a killed process would."""


def test_a_run_that_dies_between_pages_leaves_the_store_as_it_was(apply, mysql, db, store_path, user):
    rng = random.Random(user)
    first = [created(user, rng) for _ in range(20)]
    apply(first)
    sync(engine=mysql, path=store_path)
    before_totals, before_rows = store_totals(store_path, user), store_rows(store_path, user)
    with open_reader(store_path) as conn:
        before = freshness(conn)

    apply([created(user, rng) for _ in range(30)] + [deleted(user, first[0].transaction.id)])
    pages_seen = []

    def die_on_third_page(page: int) -> None:
        pages_seen.append(page)
        if page == 3:
            raise Killed

    with pytest.raises(Killed):
        sync(engine=mysql, path=store_path, page_size=10, after_page=die_on_third_page)

    assert pages_seen == [1, 2, 3]  # pages were applied before it died
    assert store_totals(store_path, user) == before_totals
    assert store_rows(store_path, user) == before_rows
    with open_reader(store_path) as conn:
        assert freshness(conn)["watermark"] == before["watermark"]
    assert_consistent(store_path)

    again = sync(engine=mysql, path=store_path, page_size=10)
    assert not again.skipped  # the dead run left no lock behind
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)


def test_two_runs_at_once_do_not_double_count(apply, mysql, db, store_path, user):
    rng = random.Random(user)
    apply([created(user, rng) for _ in range(40)])
    second: list = []

    def start_another_run(page: int) -> None:
        if page == 1:  # the first run holds the writer lock and its transaction is open
            t = threading.Thread(target=lambda: second.append(sync(engine=mysql, path=store_path)))
            t.start()
            t.join(30)

    first = sync(engine=mysql, path=store_path, page_size=10, after_page=start_another_run)

    assert second and second[0].skipped
    assert not first.skipped
    assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)


def test_many_runs_racing_converge_without_double_counting(apply, mysql, db, store_path, user):
    rng = random.Random(user)
    barrier = threading.Barrier(4)
    results: list = []

    def race() -> None:
        barrier.wait()
        results.append(sync(engine=mysql, path=store_path, page_size=7))

    for round_ in range(3):
        apply([created(user, rng) for _ in range(15)])
        if round_:
            apply([updated(user, uuid.UUID(next(iter(mysql_rows(db, user)))), category="raced")])
        threads = [threading.Thread(target=race) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        sync(engine=mysql, path=store_path)  # whichever runs were skipped, one more run catches up
        assert_matches_mysql(db, store_path, user)
    assert_consistent(store_path)
    assert any(not r.skipped for r in results)


def test_a_reader_keeps_its_snapshot_while_a_run_commits(apply, mysql, db, store_path, user):
    apply([created(user, currency="EUR", amount="1.00", type="income", category="s", date="2026-06-01")])
    sync(engine=mysql, path=store_path)
    reader = open_reader(store_path)
    with read_snapshot(reader):
        mark = freshness(reader)["watermark"]
        apply([created(user, currency="EUR", amount="2.00", type="income", category="s", date="2026-06-02")])
        sync(engine=mysql, path=store_path)
        row = reader.execute("SELECT income_e4, count FROM monthly_totals WHERE user_id = ?", (user,)).fetchone()
        assert tuple(row) == (10_000, 1)
        assert freshness(reader)["watermark"] == mark
    row = reader.execute("SELECT income_e4, count FROM monthly_totals WHERE user_id = ?", (user,)).fetchone()
    assert tuple(row) == (30_000, 2)
    reader.close()


def test_a_second_writer_cannot_write_while_a_run_holds_the_store(apply, mysql, store_path, user):
    """Belt and braces under the lock file: the run's BEGIN IMMEDIATE holds SQLite's write lock."""
    apply([created(user)])
    outcome: list = []

    def try_to_write(page: int) -> None:
        other = sqlite3.connect(store_path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            outcome.append(str(exc))
        finally:
            other.close()

    sync(engine=mysql, path=store_path, page_size=1_000_000, after_page=try_to_write)
    assert outcome and all("locked" in o for o in outcome)
