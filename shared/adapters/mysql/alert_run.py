"""One consumed batch's work on the budget alerts' state (alert_state.py), inside its transaction: the totals and
budgets of the batch's users and months read at once (under lock) and kept in memory; each change's moves applied;
each budget it touches checked against its thresholds; the moved totals and the new alerts written at the end.

A global budget is checked against its category's total; one that names an account set against the sum of its
accounts' totals (`alert_account_spend`, at most 20 rows).
"""

from __future__ import annotations

import time
from decimal import Decimal

import orjson

from shared.domain.alerts import payload, reached

_CHUNK = 500
Budget = tuple[Decimal, str, tuple[str, ...] | None]  # limit, currency, the accounts it counts (None: every one)


def _budget(amount, currency: str, accounts: str | None) -> Budget:
    """A budgets row as checked: its account set parsed from the stored JSON array (NULL: global)."""
    return (Decimal(str(amount)), currency, tuple(orjson.loads(accounts)) if accounts else None)


class AlertRun:
    """One batch's work inside its transaction: the totals and budgets of the batch's users and months read at
    once (under lock), kept in memory, the moved totals and the new alerts written at the end."""

    def __init__(self, conn, mark: str, lock: str, ignore: str, upsert, now_iso: str) -> None:
        self._conn, self._m, self._lock, self._ignore, self._upsert = conn, mark, lock, ignore, upsert
        self._now = now_iso
        self._spent: dict[tuple[str, str, str, str], Decimal] = {}
        self._moved: set[tuple[str, str, str, str]] = set()
        self._in: dict[tuple[str, str, str, str, str], Decimal] = {}  # per account
        self._moved_in: set[tuple[str, str, str, str, str]] = set()
        self._read: set[tuple[str, str]] = set()  # (user, month) pairs whose totals and budgets are all in memory
        self.budgets: dict[tuple[str, str, str], Budget | None] = {}
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
            for user, month, category, currency, account, spent in self._conn.exec_driver_sql(
                f"SELECT user_id, month, category, currency, account_id, spent FROM alert_account_spend "
                f"WHERE {where}{self._lock}",
                (*chunk, *months),
            ):
                if (user, month) in pairs:
                    self._in[(user, month, category, currency, account)] = Decimal(str(spent))
            for user, category, month, amount, currency, accounts in self._conn.exec_driver_sql(
                f"SELECT user_id, category, month, amount, currency, accounts FROM budgets WHERE {where}",
                (*chunk, *months),
            ):
                self.budgets.setdefault((user, category, month), _budget(amount, currency, accounts))
        self._read |= pairs

    def _total(self, key: tuple[str, str, str, str]) -> Decimal:
        if key not in self._spent:
            self._spent[key] = self._read_total("alert_spend", key)
        return self._spent[key]

    def _total_in(self, key: tuple[str, str, str, str, str]) -> Decimal:
        if key not in self._in:
            self._in[key] = self._read_total("alert_account_spend", key)
        return self._in[key]

    def _read_total(self, table: str, key: tuple) -> Decimal:
        if (key[0], key[1]) in self._read:
            return Decimal(0)  # prefetched: a total not read is none
        m = self._m
        account = f" AND account_id = {m}" if len(key) == 5 else ""
        row = self._conn.exec_driver_sql(
            f"SELECT spent FROM {table} WHERE user_id = {m} AND month = {m} AND category = {m} AND currency = {m}"
            f"{account}{self._lock}",
            key,
        ).first()
        return Decimal(str(row[0])) if row else Decimal(0)

    def spend(self, key: tuple[str, str, str, str], delta: Decimal) -> None:
        self._spent[key] = self._total(key) + delta
        self._moved.add(key)

    def spend_in(self, key: tuple[str, str, str, str, str], delta: Decimal) -> None:
        self._in[key] = self._total_in(key) + delta
        self._moved_in.add(key)

    def _budget(self, user_id: str, category: str, month: str) -> Budget | None:
        key = (user_id, category, month)
        if key not in self.budgets:
            row = None
            if (user_id, month) not in self._read:
                m = self._m
                row = self._conn.exec_driver_sql(
                    f"SELECT amount, currency, accounts FROM budgets WHERE user_id = {m} AND category = {m} "
                    f"AND month = {m}",
                    key,
                ).first()
            self.budgets[key] = _budget(*row) if row else None
        return self.budgets[key]

    def check(self, user_id: str, category: str, month: str) -> None:
        budget = self._budget(user_id, category, month)
        if budget is None:
            return
        limit, currency, accounts = budget
        if accounts is None:
            spent = self._total((user_id, month, category, currency))
        else:  # an account set: its accounts' expenses only
            spent = sum((self._total_in((user_id, month, category, currency, a)) for a in accounts), Decimal(0))
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
                accounts=None if accounts is None else list(accounts),
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
        if self._moved_in:
            columns = ("user_id", "month", "category", "currency", "account_id", "spent")
            self._conn.exec_driver_sql(
                self._upsert("alert_account_spend", columns, ("spent",)),
                [(*k, str(self._in[k])) for k in sorted(self._moved_in)],
            )
        for alert in self._alerts.values():  # a threshold raised in an earlier batch stays as it was told
            self.raised += self._conn.exec_driver_sql(
                f"{self._ignore} INTO alerts (alert_id, user_id, category, month, threshold, payload, created_at, "
                f"sent) VALUES ({', '.join([m] * 8)})",
                (*alert, now_us, False),
            ).rowcount
