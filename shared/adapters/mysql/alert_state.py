"""The budget alerts' durable state in MySQL, shared by every analyzer instance and slot.

One database transaction per consumed batch holds everything: each user's change-feed position (a redelivered
record is recognised and skipped), the running expenses per user, month, category and currency (a change moves
them by its delta: O(1) per change, whatever the month holds), and the alerts raised, pending until published
(an outbox). Budgets are read from storage's own table in the same database.

Expenses in an account also move a total per account (`alert_account_spend`): a budget that names an account set
is checked against the sum of its accounts' totals, at most 20 rows, whatever the month holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.adapters.mysql.alert_run import AlertRun
from shared.adapters.mysql.engine import is_mysql
from shared.domain.changefeed import account_expense_delta, expense_delta

_CHUNK = 500
_KINDS = ("transaction", "budget")  # the change records that move a total or a limit; the rest only advance the seq


class AlertState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mysql = mysql = is_mysql(engine)
        self._m = "%s" if mysql else "?"
        self._lock = " FOR UPDATE" if mysql else ""
        self._ignore = "INSERT IGNORE" if mysql else "INSERT OR IGNORE"

    def _upsert(self, table: str, columns: tuple[str, ...], update: tuple[str, ...]) -> str:
        """INSERT, or on the primary key UPDATE `update` to the new values: one statement for many rows."""
        marks = ", ".join([self._m] * len(columns))
        keys = ", ".join(c for c in columns if c not in update)
        if self._mysql:
            sets = ", ".join(f"{c} = VALUES({c})" for c in update)
            return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {sets}"
        sets = ", ".join(f"{c} = excluded.{c}" for c in update)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT ({keys}) DO UPDATE SET {sets}"

    def apply(self, records: Sequence[dict], *, now_iso: str) -> int:
        """Apply unseen change records in one transaction; returns the alerts newly raised.

        Each record is checked right after it is applied, so what an alert says (how much was spent when the
        threshold was reached) does not depend on how the records were batched. The totals and budgets a batch can
        touch are read first, a few queries for the whole batch, and the moved totals written back in one statement.
        """
        users = sorted({r["user_id"] for r in records})
        if not users:
            return 0
        with self.engine.begin() as conn:
            seen = dict(self._select(conn, "SELECT user_id, seq FROM alert_progress WHERE user_id IN ({})", users))
            fresh = sorted((r for r in records if r["seq"] > seen.get(r["user_id"], 0)), key=lambda r: r["seq"])
            if not fresh:
                return 0
            work = [(r, *_deltas(r)) for r in fresh if r["kind"] in _KINDS]
            run = AlertRun(conn, self._m, self._lock, self._ignore, self._upsert, now_iso)
            run.prefetch(
                {(r["user_id"], month) for r, delta, in_accounts in work for month in _months(r, delta, in_accounts)}
            )
            for r, delta, in_accounts in work:
                user = r["user_id"]
                if r["kind"] == "transaction":
                    moved = {(category, month) for month, category, _ in delta}
                    for (month, category, currency), amount in delta.items():
                        run.spend((user, month, category, currency), amount)
                    for (month, category, currency, account), amount in in_accounts.items():
                        run.spend_in((user, month, category, currency, account), amount)
                        moved.add((category, month))  # moved between accounts only: a set's total still moves
                    for category, month in sorted(moved):
                        run.check(user, category, month)
                else:
                    accounts = tuple(r["accounts"]) if r.get("accounts") else None
                    run.budgets[(user, r["category"], r["month"])] = (Decimal(r["amount"]), r["currency"], accounts)
                    run.check(user, r["category"], r["month"])
            run.write()
            last: dict[str, int] = {}
            for r in fresh:
                last[r["user_id"]] = r["seq"]
            conn.exec_driver_sql(self._upsert("alert_progress", ("user_id", "seq"), ("seq",)), list(last.items()))
            return run.raised

    def _select(self, conn, sql: str, keys: Sequence) -> list:
        out = []
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            out += conn.exec_driver_sql(sql.format(", ".join([self._m] * len(chunk))) + self._lock, tuple(chunk)).all()
        return out

    # -- the outbox and the reads ---------------------------------------------------------------

    def pending(self, limit: int = 500) -> list[tuple[str, str, bytes]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT alert_id, user_id, payload FROM alerts WHERE sent = :f ORDER BY created_at LIMIT :n"),
                {"f": False, "n": limit},
            ).all()
        return [(a, u, p.encode()) for a, u, p in rows]

    def mark_sent(self, ids: Sequence[str]) -> None:
        if ids:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.text("UPDATE alerts SET sent = :t WHERE alert_id = :a"), [{"t": True, "a": i} for i in ids]
                )

    def recent(self, user_id: str, limit: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT payload, created_at FROM alerts WHERE user_id = :u ORDER BY created_at DESC LIMIT :n"),
                {"u": user_id, "n": limit},
            ).all()
        return [{**orjson.loads(p), "created_at_us": int(c)} for p, c in rows]


def _deltas(record: dict) -> tuple[dict, dict]:
    """A transaction change's moves of the totals, and of the totals per account; nothing for a budget."""
    if record["kind"] != "transaction":
        return {}, {}
    return expense_delta(record), account_expense_delta(record)


def _months(record: dict, delta: dict, in_accounts: dict) -> set[str]:
    """The months a change record can move or check: its expenses' months, or its budget's."""
    if record["kind"] != "transaction":
        return {record["month"]}
    return {key[0] for key in delta} | {key[0] for key in in_accounts}
