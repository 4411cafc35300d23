"""Processor figures: does a sync cost follow the changes, not the store; how close is a rebuild to raw I/O.

- processor_flatness: median time to sync 1,000 changes into a store holding 1,000,000 transactions,
  divided by the same into one holding 10,000 (target at most 1.5).
- rebuild_vs_raw: full-rebuild rows/s divided by a raw PyMySQL streaming read (SSCursor) plus sqlite3
  executemany of the same rows, measured in the same run (target at least 0.5).

Each figure gets its own MariaDB databases (budget_bench_proc_<run>_*), dropped afterwards.
Run alone with `python -m bench.processor`.
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import pymysql
import pymysql.cursors
import sqlalchemy as sa

from shared.adapters.analytics.rebuild import rebuild
from shared.adapters.analytics.sync import sync
from shared.adapters.mysql.migrate import migrate
from shared.adapters.mysql.store import Store
from shared.domain.events import TransactionCreated, TransactionDeleted, TransactionUpdated
from shared.domain.transactions import NewTransaction, TransactionChanges

MYSQL = dict(host="127.0.0.1", port=3306, user="root", password="")
LARGE, SMALL, CHANGES, ROUNDS = 1_000_000, 10_000, 1_000, 5
_LOAD_CHUNK = 5_000
_CATEGORIES = ("groceries", "rent", "salary", "fun", "travel", "health", "gifts", "tax")
_CURRENCIES = ("EUR", "USD", "JPY", "KWD")
_COLUMNS = (
    "user_id, id, type, amount, currency, category, description, booking_date, tags, "
    "recorded_at, version, deleted, change_seq"
)


def run(results: dict) -> None:
    run_id = uuid.uuid4().hex[:8]
    large, small = f"budget_bench_proc_{run_id}_large", f"budget_bench_proc_{run_id}_small"
    logging.getLogger("budget.processor").setLevel(logging.WARNING)
    engines: dict[str, sa.Engine] = {}
    with tempfile.TemporaryDirectory(prefix="bench-proc-") as tmp:
        try:
            for name in (large, small):
                engines[name] = _database(name)
            _load(large, LARGE)
            _load(small, SMALL)
            rebuild_rate, raw_rate = _rebuild_vs_raw(engines[large], large, Path(tmp))
            flat_large = _sync_times(engines[large], Path(tmp) / "large.db")
            flat_small = _sync_times(engines[small], Path(tmp) / "small.db")
        finally:
            for engine in engines.values():
                engine.dispose()
            for name in (large, small):
                _drop(name)
    results["processor_flatness"] = round(statistics.median(flat_large) / statistics.median(flat_small), 3)
    results["rebuild_vs_raw"] = round(rebuild_rate / raw_rate, 3)
    print(
        f"processor_flatness {results['processor_flatness']} (target <= 1.5): sync of {CHANGES:,} changes, "
        f"median {statistics.median(flat_large) * 1000:.0f} ms into {LARGE:,} rows vs "
        f"{statistics.median(flat_small) * 1000:.0f} ms into {SMALL:,}"
    )
    print(
        f"rebuild_vs_raw {results['rebuild_vs_raw']} (target >= 0.5): rebuild {rebuild_rate:,.0f} rows/s, "
        f"raw SSCursor + executemany {raw_rate:,.0f} rows/s"
    )


def _database(name: str) -> sa.Engine:
    conn = pymysql.connect(**MYSQL)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    conn.close()
    # As build_engine makes it for the processor: READ COMMITTED, PyMySQL.
    engine = sa.create_engine(
        f"mysql+pymysql://root@127.0.0.1:3306/{name}", isolation_level="READ COMMITTED", pool_pre_ping=True
    )
    migrate(engine)
    return engine


def _drop(name: str) -> None:
    conn = pymysql.connect(**MYSQL)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def _load(database: str, count: int) -> None:
    """Multi-row INSERTs (PyMySQL folds executemany into them), a commit per chunk, as storage would leave them."""
    rng = random.Random(count)
    conn = pymysql.connect(**MYSQL, database=database, autocommit=False)
    insert = f"INSERT INTO transactions ({_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"
    base = 1_700_000_000_000_000
    with conn.cursor() as cur:
        cur.execute("SET unique_checks = 0")
        for start in range(0, count, _LOAD_CHUNK):
            rows = []
            for seq in range(start + 1, min(start + _LOAD_CHUNK, count) + 1):
                rows.append(
                    (
                        f"user-{rng.randrange(2_000):05d}",
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "income" if rng.random() < 0.2 else "expense",
                        f"{rng.randint(1, 500_000)}.{rng.randint(0, 99):02d}",
                        rng.choice(_CURRENCIES[:2]),
                        rng.choice(_CATEGORIES),
                        None,
                        f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        "[]",
                        base + seq,
                        base + seq,
                        0,
                        seq,
                    )
                )
            cur.executemany(insert, rows)
            conn.commit()
        cur.execute("UPDATE change_counter SET value = %s WHERE id = 1", (count,))
        conn.commit()
    conn.close()


def _rebuild_vs_raw(engine: sa.Engine, database: str, tmp: Path) -> tuple[float, float]:
    """Best of two each, interleaved, so both see the same warm buffer pool."""
    rebuild_rates, raw_rates = [], []
    for attempt in range(2):
        raw_rates.append(_raw_copy(database, tmp / f"raw{attempt}.db"))
        started = time.perf_counter()
        result = rebuild(engine=engine, path=tmp / f"rebuilt{attempt}.db")
        rebuild_rates.append(result.rows_read / (time.perf_counter() - started))
    (tmp / "large.db").unlink(missing_ok=True)
    (tmp / "rebuilt0.db").rename(tmp / "large.db")  # the 1,000,000-row store the flatness figure syncs into
    return max(rebuild_rates), max(raw_rates)


def _raw_copy(database: str, file: Path) -> float:
    """The physical limit: stream the same rows out of MariaDB and executemany them into a bare table."""
    import sqlite3

    started = time.perf_counter()
    mysql = pymysql.connect(**MYSQL, database=database, cursorclass=pymysql.cursors.SSCursor)
    lite = sqlite3.connect(file, isolation_level=None)
    lite.execute("PRAGMA journal_mode=OFF")
    lite.execute("PRAGMA synchronous=OFF")
    lite.execute(
        "CREATE TABLE transactions (user_id, id, type, amount, currency, category, description, booking_date, "
        "tags, recorded_at, version, change_seq, deleted)"
    )
    lite.execute("BEGIN")
    rows = 0
    with mysql.cursor() as cur:
        cur.execute(
            "SELECT user_id, id, type, amount, currency, category, description, booking_date, tags, "
            "recorded_at, version, change_seq, deleted FROM transactions"
        )
        while batch := cur.fetchmany(10_000):
            lite.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _plain(batch))
            rows += len(batch)
    lite.execute("COMMIT")
    lite.close()
    mysql.close()
    return rows / (time.perf_counter() - started)


def _plain(batch):
    """sqlite3 takes no Decimal or date: the cheapest conversion it needs, text."""
    return [(*r[:3], str(r[3]), *r[4:7], str(r[7]), *r[8:]) for r in batch]


def _sync_times(engine: sa.Engine, store: Path) -> list[float]:
    """Time incremental syncs of 1,000 changes (creates, corrections, deletions) through the real write path."""
    if not store.exists():
        rebuild(engine=engine, path=store)
    sync(engine=engine, path=store)
    writer = Store(engine)
    rng = random.Random(7)
    with engine.connect() as conn:
        users_ids = [
            tuple(r) for r in conn.execute(sa.text("SELECT user_id, id FROM transactions ORDER BY RAND() LIMIT 3000"))
        ]
    times = []
    for round_ in range(ROUNDS + 1):
        writer.apply(_changes(rng, users_ids[round_ * 500 : round_ * 500 + 500]))
        started = time.perf_counter()
        result = sync(engine=engine, path=store)
        elapsed = time.perf_counter() - started
        assert result.rows_read == CHANGES, result
        if round_:  # the first round warms caches on both sides
            times.append(elapsed)
    return times


def _changes(rng: random.Random, existing: list[tuple[str, str]]) -> list:
    """500 new transactions, 400 corrections and 100 deletions of existing ones: 1,000 changes."""
    events: list = []
    for _ in range(500):
        events.append(
            TransactionCreated(
                user_id=f"user-{rng.randrange(2_000):05d}",
                transaction=NewTransaction(
                    type="expense",
                    currency="EUR",
                    amount=f"{rng.randint(1, 9999)}.50",
                    category=rng.choice(_CATEGORIES),
                    date=f"2025-{rng.randint(1, 12):02d}-15",
                ),
            )
        )
    for user_id, tid in existing[:400]:
        events.append(
            TransactionUpdated(
                user_id=user_id,
                transaction_id=uuid.UUID(tid),
                changes=TransactionChanges(amount=f"{rng.randint(1, 9999)}.25", currency="EUR"),
            )
        )
    for user_id, tid in existing[400:500]:
        events.append(TransactionDeleted(user_id=user_id, transaction_id=uuid.UUID(tid)))
    return events


if __name__ == "__main__":
    figures: dict = {}
    run(figures)
    print(figures)
