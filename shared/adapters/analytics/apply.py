"""The sync's writes into the store, inside the run's one transaction: each plan applied, copies upserted, and
the lookups of the rows the store holds for a page's keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from shared.adapters.analytics.account_changes import TRANSFER_STORE_COLUMNS, TransferPlan, TransferRow
from shared.adapters.analytics.changes import STORE_COLUMNS, MonthKey, Plan, StoreRow

_LOOKUP_CHUNK = 500  # keys per lookup statement (two variables each)


def _marks(columns: str) -> str:
    return ", ".join(["?"] * len(columns.split(",")))


UPSERT_TXN = f"INSERT OR REPLACE INTO transactions ({STORE_COLUMNS}) VALUES ({_marks(STORE_COLUMNS)})"
INSERT_SPLIT = (
    "INSERT INTO transaction_splits (user_id, transaction_id, idx, category, amount_e4) VALUES (?, ?, ?, ?, ?)"
)
UPSERT_TRANSFER = (
    f"INSERT OR REPLACE INTO transfers ({TRANSFER_STORE_COLUMNS}) VALUES ({_marks(TRANSFER_STORE_COLUMNS)})"
)
_ADD_TOTALS = (
    "INSERT INTO monthly_totals (user_id, month, category, currency, income_e4, expense_e4, count, transactions) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, month, category, currency) DO UPDATE SET "
    "income_e4 = income_e4 + excluded.income_e4, expense_e4 = expense_e4 + excluded.expense_e4, "
    "count = count + excluded.count, transactions = transactions + excluded.transactions"
)
_DROP_EMPTY_TOTALS = (
    "DELETE FROM monthly_totals WHERE user_id = ? AND month = ? AND category = ? AND currency = ? AND count = 0"
)
_ADD_MONTHS = (
    "INSERT INTO account_months (user_id, account_id, month, change_e4, entries) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (user_id, account_id, month) DO UPDATE SET change_e4 = change_e4 + excluded.change_e4, "
    "entries = entries + excluded.entries"
)
_DROP_EMPTY_MONTHS = "DELETE FROM account_months WHERE user_id = ? AND account_id = ? AND month = ? AND entries = 0"
# Copies: the row with the newer change_seq wins, so a page read again (after a rebuild) changes nothing.
UPSERT_BUDGET = (
    "INSERT INTO budgets (user_id, category, month, amount_e4, currency, accounts, version, change_seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, category, month) DO UPDATE SET "
    "amount_e4 = excluded.amount_e4, currency = excluded.currency, accounts = excluded.accounts, "
    "version = excluded.version, change_seq = excluded.change_seq WHERE excluded.change_seq > budgets.change_seq"
)
# Budgets copied again (schema.BACKFILL): the same row, now with the accounts a store from before could not hold.
RECOPY_BUDGET = UPSERT_BUDGET.replace("> budgets.change_seq", ">= budgets.change_seq")
UPSERT_ACCOUNT = (
    "INSERT INTO accounts (user_id, id, name, type, currency, opening_balance_e4, opening_date, closed, version, "
    "change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET name = excluded.name, "
    "type = excluded.type, currency = excluded.currency, opening_balance_e4 = excluded.opening_balance_e4, "
    "opening_date = excluded.opening_date, closed = excluded.closed, version = excluded.version, "
    "change_seq = excluded.change_seq WHERE excluded.change_seq > accounts.change_seq"
)
UPSERT_SETTINGS = (
    "INSERT INTO user_settings (user_id, home_currency, version, change_seq) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET home_currency = excluded.home_currency, version = excluded.version, "
    "change_seq = excluded.change_seq WHERE excluded.change_seq > user_settings.change_seq"
)
UPSERT_RATE = (
    "INSERT INTO exchange_rates (currency, day, per_euro, source, change_seq) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (currency, day) DO UPDATE SET per_euro = excluded.per_euro, source = excluded.source, "
    "change_seq = excluded.change_seq WHERE excluded.change_seq > exchange_rates.change_seq"
)


def upsert(conn: sqlite3.Connection, statement: str, rows: list[tuple]) -> int:
    """Rows the statement changed (a copy the store already has changes none)."""
    before = conn.total_changes
    conn.executemany(statement, rows)
    return conn.total_changes - before


def _lookup(conn: sqlite3.Connection, select: str, table: str, key: str, keys: Sequence[tuple[str, str]]):
    """Rows of `table` whose (user_id, `key`) is among `keys`, by primary key."""
    for i in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[i : i + _LOOKUP_CHUNK]
        values = ", ".join(["(?, ?)"] * len(chunk))
        sql = (
            f"SELECT {select} FROM (VALUES {values}) AS k "
            f"JOIN {table} AS t ON t.user_id = k.column1 AND t.{key} = k.column2"
        )
        yield from conn.execute(sql, [v for pair in chunk for v in pair])


def existing_transactions(conn: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple, StoreRow]:
    """The store's current rows for a page's keys, with their splits."""
    splits: dict[tuple[str, str], list[tuple[str, int]]] = {}
    select = "t.user_id, t.transaction_id, t.idx, t.category, t.amount_e4"
    held = sorted(_lookup(conn, select, "transaction_splits", "transaction_id", keys))  # by key, then idx
    for user_id, tid, _, category, amount_e4 in held:
        splits.setdefault((user_id, tid), []).append((category, amount_e4))
    columns = ", ".join(f"t.{c.strip()}" for c in STORE_COLUMNS.split(","))
    found = {}
    for row in _lookup(conn, columns, "transactions", "id", keys):
        found[(row[0], row[1])] = StoreRow(*row, splits=tuple(splits.get((row[0], row[1]), ())))
    return found


def existing_transfers(conn: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple, TransferRow]:
    columns = ", ".join(f"t.{c.strip()}" for c in TRANSFER_STORE_COLUMNS.split(","))
    return {(r[0], r[1]): TransferRow(*r) for r in _lookup(conn, columns, "transfers", "id", keys)}


def apply_plan(conn: sqlite3.Connection, plan: Plan) -> None:
    replaced = plan.replaced()
    if replaced:
        conn.executemany("DELETE FROM transaction_splits WHERE user_id = ? AND transaction_id = ?", replaced)
    if plan.deletes:
        conn.executemany("DELETE FROM transactions WHERE user_id = ? AND id = ?", plan.deletes)
    if plan.upserts:
        conn.executemany(UPSERT_TXN, [r.as_tuple() for r in plan.upserts])
        conn.executemany(INSERT_SPLIT, [s for r in plan.upserts for s in r.split_rows()])
    totals = plan.changed_totals()
    if totals:
        conn.executemany(_ADD_TOTALS, [(*key, *delta) for key, delta in totals])
        conn.executemany(_DROP_EMPTY_TOTALS, [key for key, _ in totals])
    add_months(conn, plan.changed_months())


def apply_transfers(conn: sqlite3.Connection, plan: TransferPlan) -> None:
    if plan.deletes:
        conn.executemany("DELETE FROM transfers WHERE user_id = ? AND id = ?", plan.deletes)
    if plan.upserts:
        conn.executemany(UPSERT_TRANSFER, [r.as_tuple() for r in plan.upserts])
    add_months(conn, plan.changed_months())


def add_months(conn: sqlite3.Connection, months: list[tuple[MonthKey, list[int]]]) -> None:
    if months:
        conn.executemany(_ADD_MONTHS, [(*key, *delta) for key, delta in months])
        conn.executemany(_DROP_EMPTY_MONTHS, [key for key, _ in months])
