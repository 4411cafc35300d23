"""The raw MySQL baselines of the ingest benchmark: PyMySQL, no framework, every value prepared before the clock.

`same_work`: per 1,000 rows, the statements storage runs for a batch (shared/adapters/mysql/store.py, batch.py,
sql.py): the change counter read under lock, the processed-id lookup, the locked read of the rows
(Sql.locked_records), the locked read of the operation, then the counter, the processed ids, the rows, the operation
and the outbox row, committed; then the relay's read of the outbox, its delete, and the read that finds it empty. The
statements are storage's own (`dialect_sql`), into a database migrated like storage's. `rows_only`: the rows alone,
executemany, 1,000 a commit: the physical limit.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal

import orjson
import sqlalchemy as sa

from bench.common import create_database, mysql
from shared.adapters.mysql.migrate import migrate
from shared.adapters.mysql.sql import dialect_sql
from shared.domain.changefeed import operation_change, transaction_change
from shared.domain.ledger import Record
from shared.domain.operations import event_id, new_operation_id

SQL = dialect_sql(True)
Batches = Sequence[tuple[str, Sequence[dict]]]  # (user id, the rows of one HTTP batch)


def rows(n: int) -> list[dict]:
    """n transactions as a client posts them: fresh ids, both kinds, every month, a dozen categories."""
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "expense" if i % 5 else "income",
            "amount": f"{1 + i % 997}.{i % 100:02d}",
            "currency": "EUR",
            "category": f"cat-{i % 12}",
            "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "description": f"bench row {i}",
            "tags": ["bench"],
        }
        for i in range(n)
    ]


def batches(users: list[str], total: int, size: int) -> list[tuple[str, list[dict]]]:
    """`total` rows in batches of `size`, each batch one user's, the users taken in turn (keys over every partition)."""
    made = rows(total)
    return [(users[n % len(users)], made[i : i + size]) for n, i in enumerate(range(0, total, size))]


def migrated_database(name: str) -> None:
    create_database(name)
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}")
    migrate(engine)
    engine.dispose()


def _record(user_id: str, r: dict, now: int) -> Record:
    return Record(
        user_id=user_id, id=r["id"], type=r["type"], amount=Decimal(r["amount"]), currency=r["currency"],
        category=r["category"], description=r["description"], date=dt.date.fromisoformat(r["date"]),
        tags=tuple(r["tags"]), version=1, deleted=False, recorded_at=now,
    )  # fmt: skip


def _prepared(batches: Batches) -> list[dict]:
    """Every value of every statement, as storage would send them."""
    now, seq, out = time.time_ns() // 1000, 0, []
    for user_id, rows in batches:
        op = new_operation_id(user_id)
        records = [_record(user_id, r, now) for r in rows]
        inserts, feed = [], []
        for r in records:
            seq += 1
            tags = orjson.dumps(list(r.tags)).decode()
            inserts.append((r.user_id, r.id, r.type, str(r.amount), r.currency, r.category, r.description,
                            r.date.isoformat(), tags, now, 1, False, seq, None, None, None, None))  # fmt: skip
            feed.append(transaction_change(seq, None, r))
        seq += 1
        public = {"id": str(op), "type": "transaction.create.batch", "status": "applied", "applied": len(rows),
                  "duplicates": 0, "rejected": 0, "matched": 0, "resource": None}  # fmt: skip
        feed.append(operation_change(seq, user_id, public))
        out.append(
            {
                "event_ids": [str(event_id(op, i)) for i in range(len(rows))],
                "keys": [(r.user_id, r.id) for r in records],
                "op": str(op),
                "inserts": inserts,
                "operation": (
                    str(op),
                    user_id,
                    "transaction.create.batch",
                    len(rows),
                    len(rows),
                    0,
                    0,
                    0,
                    None,
                    now,
                    now,
                ),  # fmt: skip
                "outbox": (seq, orjson.dumps(feed)),
                "last_seq": seq,
                "now": now,
            }
        )
    return out


def same_work(database: str, batches: Batches) -> float:
    """Rows/s of storage's statements for these batches, one transaction per batch."""
    prepared = _prepared(batches)
    conn = mysql(database)
    with conn.cursor() as cur:
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
    conn.commit()
    count = sum(len(p["inserts"]) for p in prepared)
    started = time.perf_counter()
    with conn.cursor() as cur:
        for p in prepared:
            cur.execute(SQL.lock_counter)
            cur.fetchone()
            ids = p["event_ids"]
            cur.execute(
                f"SELECT event_id FROM processed_events WHERE event_id IN ({', '.join(['%s'] * len(ids))})", ids
            )
            cur.fetchall()
            keys = p["keys"]
            for i in range(0, len(keys), 500):  # storage's chunk of keys a statement
                cur.execute(*SQL.locked_records(keys[i : i + 500]))
                cur.fetchall()
            cur.execute(
                "SELECT id, user_id, kind, expected, resource, applied, duplicates, rejected, matched FROM operations "
                "WHERE id IN (%s) FOR UPDATE",
                (p["op"],),
            )
            cur.fetchall()
            cur.execute(SQL.set_counter, (p["last_seq"],))
            cur.executemany(SQL.insert_processed, [(e, p["now"]) for e in ids])
            cur.executemany(SQL.insert_record, p["inserts"])
            cur.executemany(SQL.insert_operation, [p["operation"]])
            cur.execute(SQL.insert_outbox, p["outbox"])
            conn.commit()
            cur.execute("SELECT seq, records FROM outbox ORDER BY seq LIMIT %s", (100,))
            relayed = cur.fetchall()
            conn.commit()
            cur.execute("DELETE FROM outbox WHERE seq <= %s", (relayed[-1][0],))
            conn.commit()
            cur.execute("SELECT seq, records FROM outbox ORDER BY seq LIMIT %s", (100,))
            cur.fetchall()
            conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def rows_only(database: str, batches: Batches) -> float:
    """Rows/s of the rows alone, executemany, one commit per batch, into a copy of the transactions table."""
    values = [ins for p in _prepared(batches) for ins in [p["inserts"]]]
    conn = mysql(database)
    with conn.cursor() as cur:
        table = f"rows_only_{uuid.uuid4().hex[:8]}"
        cur.execute(f"CREATE TABLE {table} LIKE transactions")
    conn.commit()
    sql = SQL.insert_record.replace("INSERT INTO transactions", f"INSERT INTO {table}")
    started = time.perf_counter()
    with conn.cursor() as cur:
        for batch in values:
            cur.executemany(sql, batch)
            conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return sum(len(b) for b in values) / elapsed
