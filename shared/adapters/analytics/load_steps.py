"""The steps of a full load, each small enough to commit on its own: MySQL tables copied in keyset pages of their
primary key, then the secondary indexes one by one, then the sums (monthly totals, accounts' months) a range of
users at a time. A step takes the key it stopped at and returns the next one (None: the phase is over)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.adapters.analytics.account_changes import (
    ACCOUNT_SOURCE_COLUMNS,
    RATE_SOURCE_COLUMNS,
    SETTINGS_SOURCE_COLUMNS,
    TRANSFER_SOURCE_COLUMNS,
    account_tuple,
    rate_tuple,
    settings_tuple,
    transfer_from_source,
)
from shared.adapters.analytics.apply import (
    INSERT_SPLIT,
    UPSERT_ACCOUNT,
    UPSERT_BUDGET,
    UPSERT_RATE,
    UPSERT_SETTINGS,
    UPSERT_TRANSFER,
    UPSERT_TXN,
)
from shared.adapters.analytics.changes import BUDGET_SOURCE_COLUMNS, SOURCE_COLUMNS, budget_tuple, e4_of, store_row
from shared.adapters.analytics.schema import DDL
from shared.adapters.analytics.sharding import note_users

COPY_PAGE = 25_000  # MySQL rows per step: a fraction of a second to a second each
USERS_PER_STEP = 5_000  # users whose sums one step computes
Key = list | None


@dataclass(frozen=True)
class Copied:
    rows: int  # MySQL rows read
    live: int  # of those, live transactions written


def _store_tuple(source: Sequence) -> tuple:
    """A MySQL row (SOURCE_COLUMNS order) as the store's row (STORE_COLUMNS order): what changes.store_row gives,
    without the StoreRow in between, which a load of millions of rows would pay for twice over."""
    day = str(source[7])
    return (*source[:3], e4_of(source[3]), *source[4:7], day, day[:7], *source[8:12], source[13])


def _write_transactions(conn: sqlite3.Connection, batch: Sequence) -> int:
    live = [r for r in batch if not r[12]]
    conn.executemany(UPSERT_TXN, [_store_tuple(r) for r in live])
    split = [store_row(r) for r in live if r[14]]
    conn.executemany(INSERT_SPLIT, [s for r in split for s in r.split_rows()])
    note_users(conn, ((r[0], r[11]) for r in live), log=False)
    return len(live)


def _write_transfers(conn: sqlite3.Connection, batch: Sequence) -> int:
    live = [row for row, deleted in map(transfer_from_source, batch) if not deleted]
    conn.executemany(UPSERT_TRANSFER, [row.as_tuple() for row in live])
    note_users(conn, ((row.user_id, row.change_seq) for row in live), log=False)
    return 0


Write = Callable[[sqlite3.Connection, Sequence], int]  # a page into the store; returns live transactions written


def _writer(statement: str, convert: Callable, *, per_user: bool = True) -> Write:
    def write(conn: sqlite3.Connection, batch: Sequence) -> int:
        conn.executemany(statement, [convert(r) for r in batch])
        if per_user:  # user_id first, change_seq last
            note_users(conn, ((r[0], r[-1]) for r in batch), log=False)  # a full publication follows a load
        return 0

    return write


# (table, columns read, how many leading columns are its primary key, how a page is written)
COPIES = (
    ("transactions", SOURCE_COLUMNS, 2, _write_transactions),
    ("transfers", TRANSFER_SOURCE_COLUMNS, 2, _write_transfers),
    ("budgets", BUDGET_SOURCE_COLUMNS, 3, _writer(UPSERT_BUDGET, budget_tuple)),
    ("accounts", ACCOUNT_SOURCE_COLUMNS, 2, _writer(UPSERT_ACCOUNT, account_tuple)),
    ("user_settings", SETTINGS_SOURCE_COLUMNS, 1, _writer(UPSERT_SETTINGS, settings_tuple)),
    ("exchange_rates", RATE_SOURCE_COLUMNS, 2, _writer(UPSERT_RATE, rate_tuple, per_user=False)),
)
TABLES = tuple(s for s in DDL if s.lstrip().upper().startswith("CREATE TABLE"))
AFTER_LOAD = tuple(s for s in DDL if s not in TABLES)  # indexes and views: built once the rows are in


def _after(columns: Sequence[str]) -> str:
    """Rows after a key in primary-key order, as ranges the optimizer reads off the index: a > x OR a = x AND b > y."""
    ors = []
    for n in range(len(columns)):
        equal = [f"{c} = :k{i}" for i, c in enumerate(columns[:n])]
        ors.append("(" + " AND ".join([*equal, f"{columns[n]} > :k{n}"]) + ")")
    return " OR ".join(ors)


def copy_page(
    conn: sqlite3.Connection, engine: Engine, copy: int, key: Key, size: int = COPY_PAGE
) -> tuple[Key, Copied]:
    """One page of a MySQL table after `key` into the store; the page's last key, or None when the table is done."""
    table, columns, width, write = COPIES[copy]
    pk = [c.strip() for c in columns.split(",")][:width]
    where = f" WHERE {_after(pk)}" if key is not None else ""
    query = f"SELECT {columns} FROM {table}{where} ORDER BY {', '.join(pk)} LIMIT {int(size)}"
    with engine.connect() as mysql:
        batch = mysql.execute(sa.text(query), {f"k{i}": v for i, v in enumerate(key or ())}).all()
    live = write(conn, batch)
    last = [str(v) for v in batch[-1][:width]] if len(batch) == size else None
    return last, Copied(len(batch), live)


_TOTALS = (
    "INSERT INTO monthly_totals (user_id, month, category, currency, income_e4, expense_e4, count, transactions) "
    "SELECT user_id, month, category, currency, "
    "SUM(CASE WHEN type = 'income' THEN amount_e4 ELSE 0 END), "
    "SUM(CASE WHEN type = 'expense' THEN amount_e4 ELSE 0 END), COUNT(*), SUM(CASE WHEN idx = 0 THEN 1 ELSE 0 END) "
    "FROM transaction_parts WHERE {users} GROUP BY user_id, month, category, currency"
)
_MONTHS = (
    "INSERT INTO account_months (user_id, account_id, month, change_e4, entries) "
    "SELECT user_id, account_id, month, SUM(amount_e4), COUNT(*) FROM ("
    "SELECT user_id, account_id, month, CASE WHEN type = 'income' THEN amount_e4 ELSE -amount_e4 END AS amount_e4 "
    "FROM transactions WHERE account_id IS NOT NULL AND {users} "
    "UNION ALL SELECT user_id, from_account, month, -amount_e4 FROM transfers WHERE {users} "
    "UNION ALL SELECT user_id, to_account, month, to_amount_e4 FROM transfers WHERE {users}"
    ") GROUP BY user_id, account_id, month"
)
SUMS = (_TOTALS, _MONTHS)  # the same sums the sync keeps by deltas, computed whole


def sums_step(conn: sqlite3.Connection, statement: int, after: str, users_per_step: int = USERS_PER_STEP) -> str | None:
    """The sums of the next users after `after` (in `users` order); the last of them, or None at the end."""
    row = conn.execute(
        "SELECT user_id FROM users WHERE user_id > ? ORDER BY user_id LIMIT 1 OFFSET ?", (after, users_per_step - 1)
    ).fetchone()
    last = row[0] if row else None
    users = "user_id > :after" + ("" if last is None else " AND user_id <= :last")
    conn.execute(SUMS[statement].format(users=users), {"after": after, "last": last})
    return last
