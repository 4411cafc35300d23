"""MariaDB databases of many transactions for the processor and scale benchmarks, written directly in batches.

Rows go in primary-key order (user by user, ids ascending) with change_seq ascending in that order, so every InnoDB
index of `transactions` is appended to: the load runs near the raw insert speed even with a small buffer pool.
`age` then corrects, deletes and adds rows at random, as users do, each with a new change_seq (multi-row upserts,
not the storage path: what is measured afterwards is the processor, not the writes).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator

import pymysql
import sqlalchemy as sa

from bench.common import MYSQL, create_database, drop_database
from shared.adapters.mysql.migrate import migrate

CATEGORIES = ("groceries", "rent", "salary", "fun", "travel", "health", "gifts", "tax")
CURRENCIES = ("EUR", "USD")
BATCH = 5_000
BASE_US = 1_700_000_000_000_000
_COLUMNS = "user_id, id, type, amount, currency, category, description, booking_date, tags, recorded_at, version, "
_COLUMNS += "deleted, change_seq"
_INSERT = f"INSERT INTO transactions ({_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"
_UPSERT = _INSERT + (
    " ON DUPLICATE KEY UPDATE amount = VALUES(amount), category = VALUES(category), booking_date = "
    "VALUES(booking_date), deleted = VALUES(deleted), version = version + 1, change_seq = VALUES(change_seq)"
)


def user_name(i: int) -> str:
    return f"user-{i:06d}"


def database(name: str) -> sa.Engine:
    """A new migrated database, and the engine the processor would use on it (READ COMMITTED, PyMySQL)."""
    drop_database(name)
    create_database(name)
    engine = sa.create_engine(
        f"mysql+pymysql://root@127.0.0.1:3306/{name}", isolation_level="READ COMMITTED", pool_pre_ping=True
    )
    migrate(engine)
    return engine


def _row(rng: random.Random, user: str, tid: str, seq: int, deleted: int = 0) -> tuple:
    kind = "income" if rng.random() < 0.2 else "expense"
    return (
        user, tid, kind, f"{rng.randint(1, 500_000)}.{rng.randint(0, 99):02d}", rng.choice(CURRENCIES),
        "salary" if kind == "income" else rng.choice(CATEGORIES), None,
        f"{rng.choice((2024, 2025))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "[]", BASE_US + seq,
        1, deleted, seq,
    )  # fmt: skip


def _rows(count: int, users: int, rng: random.Random) -> Iterator[tuple]:
    """`count` rows over `users` users, in primary-key order, change_seq 1.. in the same order."""
    seq = 0
    for u in range(users):
        n = count // users + (1 if u < count % users else 0)
        ids = sorted(str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n))
        for tid in ids:
            seq += 1
            yield _row(rng, user_name(u), tid, seq)


def load(name: str, *, count: int, users: int, seed: int = 1, progress: Callable[[int], None] | None = None) -> float:
    """Write the rows, a commit per batch; returns rows per second."""
    rng = random.Random(seed)
    conn = pymysql.connect(**MYSQL, database=name, autocommit=False)
    started, done = time.perf_counter(), 0
    with conn.cursor() as cur:
        cur.execute("SET unique_checks = 0")
        batch = []
        for row in _rows(count, users, rng):
            batch.append(row)
            if len(batch) == BATCH:
                cur.executemany(_INSERT, batch)  # PyMySQL folds it into one multi-row INSERT
                conn.commit()
                done += len(batch)
                batch = []
                if progress and done % 1_000_000 == 0:
                    progress(done)
        if batch:
            cur.executemany(_INSERT, batch)
        cur.execute("UPDATE change_counter SET value = %s WHERE id = 1", (count,))
        conn.commit()
    conn.close()
    return count / (time.perf_counter() - started)


def age(name: str, *, rounds: int, fraction: float, users: int, seed: int, after_round: Callable[[], None]) -> int:
    """Rounds of random corrections (`fraction` of the rows each), deletions and new rows, `after_round` after each
    (the bench syncs there, so the store ages as MySQL does). Returns the changes written."""
    rng = random.Random(seed)
    conn = pymysql.connect(**MYSQL, database=name, autocommit=False)
    written = 0
    with conn.cursor() as cur:
        cur.execute("SELECT user_id, id FROM transactions WHERE deleted = 0")
        keys = list(cur.fetchall())
        cur.execute("SELECT value FROM change_counter WHERE id = 1")
        seq = cur.fetchone()[0]
        for _ in range(rounds):
            n = int(len(keys) * fraction)
            picked = rng.sample(range(len(keys)), n + n // 8)
            changes = [(*keys[i], 0) for i in picked[:n]] + [(*keys[i], 1) for i in picked[n:]]  # 1: deleted
            for i in sorted(picked[n:], reverse=True):
                keys[i] = keys[-1]
                keys.pop()
            fresh = [(user_name(rng.randrange(users)), str(uuid.uuid4()), 0) for _ in range(n // 4)]
            keys += [(u, t) for u, t, _ in fresh]
            rows = []
            for user, tid, deleted in rng.sample(changes + fresh, len(changes) + len(fresh)):
                seq += 1
                rows.append(_row(rng, user, tid, seq, deleted))
            for i in range(0, len(rows), BATCH):
                cur.executemany(_UPSERT, rows[i : i + BATCH])
                conn.commit()
            cur.execute("UPDATE change_counter SET value = %s WHERE id = 1", (seq,))
            conn.commit()
            written += len(rows)
            after_round()
    conn.close()
    return written


__all__ = ["age", "database", "drop_database", "load", "user_name"]
