"""The budget alerts' durable state in MySQL, shared by every analyzer instance and slot.

One database transaction per consumed batch holds everything: each user's change-feed position (a redelivered
record is recognised and skipped), the running expenses per user, month, category and currency (a change moves
them by its delta: O(1) per change, whatever the month holds), and the alerts raised, pending until published
(an outbox). Budgets are read from storage's own table in the same database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.adapters.mysql.engine import is_mysql
from shared.domain.alerts import payload, reached
from shared.domain.changefeed import expense_delta

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
            work = [(r, expense_delta(r) if r["kind"] == "transaction" else {}) for r in fresh if r["kind"] in _KINDS]
            run = _Run(conn, self._m, self._lock, self._ignore, self._upsert, now_iso)
            run.prefetch({(r["user_id"], month) for r, delta in work for month in _months(r, delta)})
            for r, delta in work:
                if r["kind"] == "transaction":
                    for (month, category, currency), amount in delta.items():
                        run.spend((r["user_id"], month, category, currency), amount)
                        run.check(r["user_id"], category, month)
                else:
                    run.budgets[(r["user_id"], r["category"], r["month"])] = (Decimal(r["amount"]), r["currency"])
                    run.check(r["user_id"], r["category"], r["month"])
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


def _months(record: dict, delta: dict) -> set[str]:
    """The months a change record can move or check: its expense's months, or its budget's."""
    return {month for month, _, _ in delta} if record["kind"] == "transaction" else {record["month"]}


class _Run:
    """One batch's work inside its transaction: the totals and budgets of the batch's users and months read at
    once (under lock), kept in memory, the moved totals and the new alerts written at the end."""

    def __init__(self, conn, mark: str, lock: str, ignore: str, upsert, now_iso: str) -> None:
        self._conn, self._m, self._lock, self._ignore, self._upsert = conn, mark, lock, ignore, upsert
        self._now = now_iso
        self._spent: dict[tuple[str, str, str, str], Decimal] = {}
        self._moved: set[tuple[str, str, str, str]] = set()
        self._read: set[tuple[str, str]] = set()  # (user, month) pairs whose totals and budgets are all in memory
        self.budgets: dict[tuple[str, str, str], tuple[Decimal, str] | None] = {}
        self._alerts: dict[str, tuple] = {}
        self.raised = 0

    def prefetch(self, pairs: set[tuple[str, str]]) -> None:
        users, months = sorted({u for u, _ in pairs}), sorted({m for _, m in pairs})
        month_marks = ", ".join([self._m] * len(months))
        for i in range(0, len(users), _CHUNK):
            chunk = users[i : i + _CHUNK]
            where = f"user_id IN ({', '.join([self._m] * len(chunk))}) AND month IN ({month_marks})"
            for user, month, category, currency, spent in self._conn.exec_driver_sql(
                f"SELECT user_id, month, category, currency, spent FROM alert_spend WHERE {where}{self._lock}",
                (*chunk, *months),
            ):
                if (user, month) in pairs:
                    self._spent[(user, month, category, currency)] = Decimal(str(spent))
            for user, category, month, amount, currency in self._conn.exec_driver_sql(
                f"SELECT user_id, category, month, amount, currency FROM budgets WHERE {where}", (*chunk, *months)
            ):
                self.budgets.setdefault((user, category, month), (Decimal(str(amount)), currency))
        self._read |= pairs

    def _total(self, key: tuple[str, str, str, str]) -> Decimal:
        if key not in self._spent:
            row = None
            if key[:2] not in self._read:
                m = self._m
                row = self._conn.exec_driver_sql(
                    f"SELECT spent FROM alert_spend WHERE user_id = {m} AND month = {m} AND category = {m} "
                    f"AND currency = {m}{self._lock}",
                    key,
                ).first()
            self._spent[key] = Decimal(str(row[0])) if row else Decimal(0)
        return self._spent[key]

    def spend(self, key: tuple[str, str, str, str], delta: Decimal) -> None:
        self._spent[key] = self._total(key) + delta
        self._moved.add(key)

    def _budget(self, user_id: str, category: str, month: str) -> tuple[Decimal, str] | None:
        key = (user_id, category, month)
        if key not in self.budgets:
            row = None
            if (user_id, month) not in self._read:
                m = self._m
                row = self._conn.exec_driver_sql(
                    f"SELECT amount, currency FROM budgets WHERE user_id = {m} AND category = {m} AND month = {m}", key
                ).first()
            self.budgets[key] = (Decimal(str(row[0])), row[1]) if row else None
        return self.budgets[key]

    def check(self, user_id: str, category: str, month: str) -> None:
        budget = self._budget(user_id, category, month)
        if budget is None:
            return
        limit, currency = budget
        spent = self._total((user_id, month, category, currency))
        for threshold in reached(spent, limit):
            body = payload(
                user_id=user_id,
                category=category,
                month=month,
                threshold=threshold,
                currency=currency,
                budget=limit,
                spent=spent,
                at=self._now,
            )
            # The first time a threshold is reached is the one told: later checks in the batch keep it.
            self._alerts.setdefault(
                body["alert_id"], (body["alert_id"], user_id, category, month, threshold, orjson.dumps(body).decode())
            )

    def write(self) -> None:
        m, now_us = self._m, time.time_ns() // 1_000
        if self._moved:
            self._conn.exec_driver_sql(
                self._upsert("alert_spend", ("user_id", "month", "category", "currency", "spent"), ("spent",)),
                [(*k, str(self._spent[k])) for k in sorted(self._moved)],
            )
        for alert in self._alerts.values():  # a threshold raised in an earlier batch stays as it was told
            self.raised += self._conn.exec_driver_sql(
                f"{self._ignore} INTO alerts (alert_id, user_id, category, month, threshold, payload, created_at, "
                f"sent) VALUES ({', '.join([m] * 8)})",
                (*alert, now_us, False),
            ).rowcount
