"""Real-time budget alerts: an event when a month's expenses in a category reach 80% and 100% of its budget.

State lives in the analyzer's own SQLite file: budgets, every transaction's current amount (so corrections and
deletions move the totals), the ids of the events applied, and the alerts raised. One SQLite transaction per
batch records all of it, the alert rows included, so a redelivered event is recognised and skipped.

Alerts are an outbox: a row per (user, category, month, threshold), UNIQUE, written "pending" in that same
transaction; published (acknowledged) before the trigger returns; then marked sent. A crash between publishing
and marking re-publishes the same alert with the same deterministic `alert_id`, so a consumer that dedupes on
it sees each threshold exactly once; no threshold is ever lost or raised twice with different ids.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import orjson

from shared.adapters.analytics.schema import from_e4, to_e4
from shared.adapters.kafka.messages import EventPublisher, InboundMessage, OutboundMessage
from shared.domain.events import BudgetSet, PoisonMessage, TransactionCreated, TransactionDeleted, decode
from shared.domain.money import format_amount

log = logging.getLogger("budget.analyzer.alerts")

THRESHOLDS = (80, 100)  # percent of the budget; reaching it counts
_NAMESPACE = uuid.UUID("6f0b4a52-8d5e-4c1e-9a57-3c1de0a2b6f1")
_HEADERS = (("content-type", b"application/json"),)

_DDL = (
    "CREATE TABLE IF NOT EXISTS applied_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS budgets (
        user_id TEXT NOT NULL, category TEXT NOT NULL, month TEXT NOT NULL,
        amount_e4 INTEGER NOT NULL, currency TEXT NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (user_id, category, month)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS transactions (
        user_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, amount_e4 INTEGER NOT NULL,
        currency TEXT NOT NULL, category TEXT NOT NULL, month TEXT NOT NULL,
        version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, id)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_alert_tx_spend ON transactions (user_id, month, category, currency)",
    """CREATE TABLE IF NOT EXISTS alerts (
        alert_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL, category TEXT NOT NULL, month TEXT NOT NULL, threshold INTEGER NOT NULL,
        payload BLOB NOT NULL, sent INTEGER NOT NULL DEFAULT 0,
        UNIQUE (user_id, category, month, threshold))""",
    "CREATE INDEX IF NOT EXISTS ix_alerts_unsent ON alerts (sent) WHERE sent = 0",
)


def alert_id(user_id: str, category: str, month: str, threshold: int) -> str:
    """The same threshold of the same budget always has the same id: consumers dedupe on it."""
    return str(uuid.uuid5(_NAMESPACE, orjson.dumps([user_id, category, month, threshold]).decode()))


@dataclass(frozen=True)
class Alert:
    alert_id: str
    user_id: str
    payload: bytes

    def message(self, topic: str) -> OutboundMessage:
        return OutboundMessage(topic=topic, key=self.user_id.encode(), value=self.payload, headers=_HEADERS)


class AlertState:
    """The alerts' durable state in one SQLite file; one writer (the alerts trigger) per file."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")  # an alert row that is "sent" must survive power loss
        for statement in _DDL:
            self._conn.execute(statement)

    def apply(self, events: Sequence[object], *, now: dt.datetime | None = None) -> int:
        """Apply unseen events and record the alerts they trigger, all in one transaction; returns new alerts."""
        moment = (now or dt.datetime.now(dt.UTC)).isoformat()
        with self._lock:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                raised = 0
                for e in events:
                    if c.execute("INSERT OR IGNORE INTO applied_events VALUES (?)", (str(e.event_id),)).rowcount:
                        # Checked after each event, so the answer does not depend on how events were batched.
                        raised += sum(self._check(*key, moment) for key in sorted(self._apply_one(e)))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return raised

    def _apply_one(self, e) -> set[tuple[str, str, str]]:
        c = self._conn
        if isinstance(e, BudgetSet):
            b = e.budget
            c.execute(
                "INSERT INTO budgets VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, category, month) DO UPDATE SET "
                "amount_e4 = excluded.amount_e4, currency = excluded.currency, version = excluded.version "
                "WHERE excluded.version > budgets.version",
                (e.user_id, b.category, b.month, to_e4(b.amount), b.currency, e.version),
            )
            return {(e.user_id, b.category, b.month)}
        if isinstance(e, TransactionCreated):
            t = e.transaction
            month = t.date.isoformat()[:7]
            c.execute(
                "INSERT OR IGNORE INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (e.user_id, str(t.id), t.type.value, to_e4(t.amount), t.currency, t.category, month, e.version),
            )
            return {(e.user_id, t.category, month)}
        row = c.execute(
            "SELECT * FROM transactions WHERE user_id = ? AND id = ?", (e.user_id, str(e.transaction_id))
        ).fetchone()
        # As storage does: a correction applies only over an older version, and never to a deleted transaction.
        if row is None or row["version"] >= e.version or (row["deleted"] and not isinstance(e, TransactionDeleted)):
            return set()
        before = (e.user_id, row["category"], row["month"])
        if isinstance(e, TransactionDeleted):
            c.execute(
                "UPDATE transactions SET deleted = 1, version = ? WHERE user_id = ? AND id = ?",
                (e.version, e.user_id, row["id"]),
            )
            return {before}
        ch = e.changes
        fields = ch.model_fields_set
        new = {
            "type": ch.type.value if "type" in fields else row["type"],
            "amount_e4": to_e4(ch.amount) if "amount" in fields else row["amount_e4"],
            "currency": ch.currency if "currency" in fields else row["currency"],
            "category": ch.category if "category" in fields else row["category"],
            "month": ch.date.isoformat()[:7] if "date" in fields else row["month"],
        }
        c.execute(
            "UPDATE transactions SET type = ?, amount_e4 = ?, currency = ?, category = ?, month = ?, version = ? "
            "WHERE user_id = ? AND id = ?",
            (*new.values(), e.version, e.user_id, row["id"]),
        )
        return {before, (e.user_id, new["category"], new["month"])}

    def _check(self, user_id: str, category: str, month: str, moment: str) -> int:
        """Record (pending) every threshold this budget has now reached and not raised before."""
        c = self._conn
        budget = c.execute(
            "SELECT amount_e4, currency FROM budgets WHERE user_id = ? AND category = ? AND month = ?",
            (user_id, category, month),
        ).fetchone()
        if budget is None:
            return 0
        limit, currency = budget["amount_e4"], budget["currency"]
        # Expenses count in the budget's currency only: there is no exchange rate to convert others.
        spent = c.execute(
            "SELECT COALESCE(SUM(amount_e4), 0) FROM transactions WHERE user_id = ? AND month = ? AND category = ? "
            "AND currency = ? AND type = 'expense' AND deleted = 0",
            (user_id, month, category, currency),
        ).fetchone()[0]
        raised = 0
        for threshold in THRESHOLDS:
            if spent * 100 < limit * threshold:
                continue
            aid = alert_id(user_id, category, month, threshold)
            payload = orjson.dumps(
                {
                    "alert_id": aid,
                    "type": "budget.threshold_reached",
                    "user_id": user_id,
                    "category": category,
                    "month": month,
                    "threshold": threshold,
                    "currency": currency,
                    "budget": format_amount(from_e4(limit), currency),
                    "spent": format_amount(from_e4(spent), currency),
                    "share_used": str((Decimal(spent) / Decimal(limit)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)),
                    "detected_at": moment,
                }
            )
            raised += c.execute(
                "INSERT OR IGNORE INTO alerts (alert_id, user_id, category, month, threshold, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (aid, user_id, category, month, threshold, payload),
            ).rowcount
        return raised

    def pending(self) -> list[Alert]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT alert_id, user_id, payload FROM alerts WHERE sent = 0 ORDER BY rowid"
            ).fetchall()
        return [Alert(r["alert_id"], r["user_id"], bytes(r["payload"])) for r in rows]

    def mark_sent(self, ids: Iterable[str]) -> None:
        with self._lock:
            self._conn.executemany("UPDATE alerts SET sent = 1 WHERE alert_id = ?", [(i,) for i in ids])

    def close(self) -> None:
        self._conn.close()


class Alerts:
    def __init__(self, *, state: AlertState, publisher: EventPublisher, topic: str) -> None:
        self._state = state
        self._publisher = publisher
        self._topic = topic

    def raise_alerts(self, messages: Sequence[InboundMessage]) -> list[Alert]:
        """Apply a consumed batch, then publish every pending alert before returning (a failure raises: retry)."""
        events = []
        for m in messages:
            try:
                events.append(decode(m.value))
            except PoisonMessage:
                continue  # storage dead-letters the same message from its own consumer group
        self._state.apply(events)
        pending = self._state.pending()  # this batch's alerts and any a crash left unpublished
        if pending:
            self._publisher.publish_blocking([a.message(self._topic) for a in pending])
            self._state.mark_sent(a.alert_id for a in pending)
            log.info("published %d budget alerts", len(pending))
        return pending
