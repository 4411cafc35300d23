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


class AlertState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        mysql = is_mysql(engine)
        self._m = "%s" if mysql else "?"
        self._lock = " FOR UPDATE" if mysql else ""
        self._ignore = "INSERT IGNORE" if mysql else "INSERT OR IGNORE"

    def apply(self, records: Sequence[dict], *, now_iso: str) -> int:
        """Apply unseen change records in one transaction; returns the alerts newly raised.

        Each record is checked right after it is applied, so what an alert says (how much was spent when the
        threshold was reached) does not depend on how the records were batched.
        """
        users = sorted({r["user_id"] for r in records})
        if not users:
            return 0
        with self.engine.begin() as conn:
            seen = dict(self._select(conn, "SELECT user_id, seq FROM alert_progress WHERE user_id IN ({})", users))
            fresh = sorted((r for r in records if r["seq"] > seen.get(r["user_id"], 0)), key=lambda r: r["seq"])
            if not fresh:
                return 0
            run = _Run(conn, self._m, self._lock, self._ignore, now_iso)
            for r in fresh:
                if r["kind"] == "transaction":
                    for (month, category, currency), delta in expense_delta(r).items():
                        run.spend((r["user_id"], month, category, currency), delta)
                        run.check(r["user_id"], category, month)
                elif r["kind"] == "budget":
                    run.budgets[(r["user_id"], r["category"], r["month"])] = (Decimal(r["amount"]), r["currency"])
                    run.check(r["user_id"], r["category"], r["month"])
            run.write()
            last: dict[str, int] = {}
            for r in fresh:
                last[r["user_id"]] = r["seq"]
            self._save_progress(conn, last, seen)
            return run.raised

    def _select(self, conn, sql: str, keys: Sequence) -> list:
        out = []
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            out += conn.exec_driver_sql(sql.format(", ".join([self._m] * len(chunk))) + self._lock, tuple(chunk)).all()
        return out

    def _save_progress(self, conn, last: dict[str, int], seen: dict[str, int]) -> None:
        m = self._m
        new = [(u, s) for u, s in last.items() if u not in seen]
        old = [(s, u) for u, s in last.items() if u in seen]
        if new:
            conn.exec_driver_sql(f"INSERT INTO alert_progress (user_id, seq) VALUES ({m}, {m})", new)
        if old:
            conn.exec_driver_sql(f"UPDATE alert_progress SET seq = {m} WHERE user_id = {m}", old)

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


class _Run:
    """One batch's work inside its transaction: totals and budgets read once (under lock), kept in memory, the
    moved totals and the new alerts written at the end."""

    def __init__(self, conn, mark: str, lock: str, ignore: str, now_iso: str) -> None:
        self._conn, self._m, self._lock, self._ignore, self._now = conn, mark, lock, ignore, now_iso
        self._spent: dict[tuple[str, str, str, str], Decimal] = {}
        self._stored: set[tuple[str, str, str, str]] = set()
        self._moved: set[tuple[str, str, str, str]] = set()
        self.budgets: dict[tuple[str, str, str], tuple[Decimal, str] | None] = {}
        self._alerts: dict[str, tuple] = {}
        self.raised = 0

    def _total(self, key: tuple[str, str, str, str]) -> Decimal:
        if key not in self._spent:
            m = self._m
            row = self._conn.exec_driver_sql(
                f"SELECT spent FROM alert_spend WHERE user_id = {m} AND month = {m} AND category = {m} "
                f"AND currency = {m}{self._lock}",
                key,
            ).first()
            if row is not None:
                self._stored.add(key)
            self._spent[key] = Decimal(str(row[0])) if row else Decimal(0)
        return self._spent[key]

    def spend(self, key: tuple[str, str, str, str], delta: Decimal) -> None:
        self._spent[key] = self._total(key) + delta
        self._moved.add(key)

    def _budget(self, user_id: str, category: str, month: str) -> tuple[Decimal, str] | None:
        key = (user_id, category, month)
        if key not in self.budgets:
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
        new = [(*k, str(self._spent[k])) for k in self._moved if k not in self._stored]
        old = [(str(self._spent[k]), *k) for k in self._moved if k in self._stored]
        if new:
            self._conn.exec_driver_sql(f"INSERT INTO alert_spend VALUES ({m}, {m}, {m}, {m}, {m})", new)
        if old:
            self._conn.exec_driver_sql(
                f"UPDATE alert_spend SET spent = {m} WHERE user_id = {m} AND month = {m} AND category = {m} "
                f"AND currency = {m}",
                old,
            )
        for alert in self._alerts.values():  # a threshold raised in an earlier batch stays as it was told
            self.raised += self._conn.exec_driver_sql(
                f"{self._ignore} INTO alerts (alert_id, user_id, category, month, threshold, payload, created_at, "
                f"sent) VALUES ({', '.join([m] * 8)})",
                (*alert, now_us, False),
            ).rowcount
