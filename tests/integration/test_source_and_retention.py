"""The analytics store knows the database it was built from, and storage's memory of applied events is bounded
without letting a redelivery inside the retention through (issue 10), against real MariaDB databases."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shared.adapters.mysql.migrate import migrate
from shared.adapters.mysql.store import Store
from shared.domain.events import TransactionCreated
from shared.domain.transactions import NewTransaction
from shared.services.processor import Processor
from shared.services.queries import answer
from tests.support.stack import create_database, drop_database

USER = "switcher"


def _created(rng: random.Random, month: str) -> TransactionCreated:
    body = {
        "type": rng.choice(["income", "expense"]),
        "amount": f"{rng.randint(1, 99_999) / 100:.2f}",
        "currency": rng.choice(["EUR", "USD"]),
        "category": rng.choice(["food", "rent", "fun"]),
        "date": f"{month}-{rng.randint(1, 28):02d}",
    }
    return TransactionCreated(user_id=USER, transaction=NewTransaction.model_validate(body))


@pytest.fixture
def databases():
    """Two systems of record, each migrated (each gets its own identity), each with different rows."""
    engines = {}
    for side, seed in (("a", 1), ("b", 2)):
        name = f"budget_it_src_{side}_{uuid.uuid4().hex[:6]}"
        create_database(name)
        engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}", isolation_level="READ COMMITTED")
        migrate(engine)
        rng = random.Random(seed)
        Store(engine).apply([_created(rng, "2030-06") for _ in range(40 + 25 * seed)])
        engines[side] = (name, engine)
    yield {side: engine for side, (_, engine) in engines.items()}
    for name, engine in engines.values():
        engine.dispose()
        drop_database(name)


def _group_by(engine) -> dict[str, dict[str, str]]:
    """The month's figures per currency, straight from MySQL: what the report must say."""
    out: dict[str, dict[str, str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT currency, SUM(CASE WHEN type = 'income' THEN amount ELSE 0 END), "
                "SUM(CASE WHEN type = 'expense' THEN amount ELSE 0 END), COUNT(*) FROM transactions "
                "WHERE user_id = :u AND deleted = 0 GROUP BY currency"
            ),
            {"u": USER},
        ).all()
    for currency, income, expense, n in rows:
        out[currency] = {
            "income": f"{Decimal(income):.2f}",
            "expense": f"{Decimal(expense):.2f}",
            "net": f"{Decimal(income) - Decimal(expense):.2f}",
            "transactions": int(n),
        }
    return out


def _report(path) -> dict:
    return answer("monthly-summary", {"month": "2030-06"}, user_id=USER, is_admin=False, store_path=str(path))


def test_switching_the_source_database_and_back_rebuilds_and_answers_from_each(databases, tmp_path):
    store = tmp_path / "analytics.db"
    for side in ("a", "b", "a"):
        Processor(engine=databases[side], store_path=str(store)).run()
        figures = {c: {k: v for k, v in t.items()} for c, t in _report(store)["data"]["currencies"].items()}
        assert figures == _group_by(databases[side]), side
    lag = answer("lag", {}, user_id="admin", is_admin=True, store_path=str(store), source_head=lambda w: _head(w))
    assert "built from database" in lag["data"]["rebuild_reason"] and lag["data"]["rebuilt_at"]


def _head(watermark: int):
    from shared.adapters.mysql.source import SourceHead

    return SourceHead(change_seq=watermark, pending_rows=0)


def test_a_source_gone_back_in_time_is_rebuilt_not_answered_from_stale_rows(databases, tmp_path):
    store, engine = tmp_path / "analytics.db", databases["a"]
    Processor(engine=engine, store_path=str(store)).run()
    with engine.begin() as conn:  # a restore from an older backup: changes and the counter go back
        conn.execute(sa.text("DELETE FROM transactions WHERE change_seq > 20"))
        conn.execute(sa.text("UPDATE change_counter SET value = 20"))
    Processor(engine=engine, store_path=str(store)).run()
    assert {c: t["transactions"] for c, t in _report(store)["data"]["currencies"].items()} == {
        c: t["transactions"] for c, t in _group_by(engine).items()
    }


def test_pruning_forgets_old_events_and_a_redelivery_inside_the_retention_is_still_recognised(databases):
    engine = databases["b"]
    store = Store(engine)
    rng = random.Random(7)
    old, recent = _created(rng, "2030-07"), _created(rng, "2030-07")
    store.apply([old, recent])
    twenty_days_ago = (time.time() - 20 * 86_400) * 1_000_000
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE processed_events SET processed_at = :t WHERE event_id = :e"),
            {"t": int(twenty_days_ago), "e": str(old.event_id)},
        )
    now_us = int(time.time() * 1_000_000)
    deleted = store.prune(processed_before_us=now_us - 14 * 86_400 * 1_000_000, operations_before_us=0)
    assert deleted == 1
    again = store.apply([recent])
    assert (again.applied, again.duplicates) == (0, 1)  # inside the retention: recognised, nothing applied
    # Outside it the event id is forgotten; a create is still not doubled (its transaction id is its key):
    # why the retention must exceed the topics' (docs: ProcessedEventsRetentionDays).
    assert store.apply([old]).duplicates == 1
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT COUNT(*) FROM transactions WHERE booking_date >= :d"), {"d": dt.date(2030, 7, 1)}
        )
        assert count.scalar() == 2
