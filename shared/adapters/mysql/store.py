"""The system-of-record adapter: applies event batches idempotently and answers a user's reads."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError

from shared.adapters.mysql.engine import is_mysql
from shared.adapters.mysql.tables import transactions
from shared.domain.cursor import decode_cursor, encode_cursor
from shared.domain.events import AnyEvent, BudgetSet, TransactionCreated, TransactionDeleted, TransactionUpdated
from shared.domain.money import format_amount

_CHUNK = 1_000
_TXN_COLUMNS = (
    "user_id, id, type, amount, currency, category, description, booking_date, tags, "
    "recorded_at, version, deleted, change_seq"
)


@dataclass(frozen=True)
class _Sql:
    """The few statements whose spelling differs between MySQL and SQLite."""

    mark: str
    now: str
    create_txn: str
    upsert_budget: str
    lock_counter: str


def _dialect_sql(mysql: bool) -> _Sql:
    if mysql:
        m = "%s"
        return _Sql(
            mark=m,
            now="CURRENT_TIMESTAMP(6)",
            # A repeated create (a client retry with the same id) changes nothing.
            create_txn=f"INSERT INTO transactions ({_TXN_COLUMNS}) VALUES ({', '.join([m] * 13)}) "
            "ON DUPLICATE KEY UPDATE id = id",
            # Assignments run left to right: `version` last, so each IF compares against the old one.
            upsert_budget="INSERT INTO budgets (user_id, category, month, amount, currency, version, change_seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE "
            "amount = IF(VALUES(version) > version, VALUES(amount), amount), "
            "currency = IF(VALUES(version) > version, VALUES(currency), currency), "
            "change_seq = IF(VALUES(version) > version, VALUES(change_seq), change_seq), "
            "version = GREATEST(version, VALUES(version))",
            lock_counter="SELECT value FROM change_counter WHERE id = 1 FOR UPDATE",
        )
    m = "?"
    now = "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')"
    return _Sql(
        mark=m,
        now=now,
        create_txn=f"INSERT INTO transactions ({_TXN_COLUMNS}) VALUES ({', '.join([m] * 13)}) "
        "ON CONFLICT (user_id, id) DO NOTHING",
        upsert_budget="INSERT INTO budgets (user_id, category, month, amount, currency, version, change_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, category, month) DO UPDATE SET "
        f"amount = excluded.amount, currency = excluded.currency, change_seq = excluded.change_seq, "
        f"version = excluded.version, last_updated = {now} WHERE excluded.version > budgets.version",
        lock_counter="SELECT value FROM change_counter WHERE id = 1",  # BEGIN IMMEDIATE already holds the lock
    )


@dataclass(frozen=True)
class ApplyResult:
    applied: int  # events not seen before, now recorded
    duplicates: int  # events already applied earlier (redeliveries)


class Refused(Exception):
    """The database refused a value in the batch: about the events, never about the connection."""


class EventStore(Protocol):
    """What the storage service needs of the system of record."""

    def apply(self, events: Sequence[AnyEvent]) -> ApplyResult: ...

    def get_transaction(self, *, user_id: str, transaction_id: str) -> dict | None: ...

    def list_transactions(
        self,
        *,
        user_id: str,
        start: date | None = None,
        end: date | None = None,
        category: str | None = None,
        kind: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page: ...


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_cursor: str | None


class Store:
    """Writes go through `apply`; reads are always scoped to one user."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sql = _dialect_sql(is_mysql(engine))

    # -- writes ---------------------------------------------------------------------------------

    def apply(self, events: Sequence[AnyEvent]) -> ApplyResult:
        """Apply a batch in one database transaction; an event already applied is skipped.

        Refused when the database refuses a value (too long, out of range, a broken constraint); every other
        error (connection lost, server down, schema missing) propagates as it is: a reason to retry later.
        """
        try:
            return self._apply(events)
        except (DataError, IntegrityError) as exc:
            raise Refused(str(exc.orig)) from exc

    def _apply(self, events: Sequence[AnyEvent]) -> ApplyResult:
        with self.engine.begin() as conn:
            # Lock first: a second consumer holding a redelivered copy of this batch waits here,
            # then finds these events already recorded instead of failing on the unique key.
            current = conn.exec_driver_sql(self._sql.lock_counter).scalar_one()
            fresh = self._unseen(conn, events)
            if not fresh:
                return ApplyResult(0, len(events))
            first = self._advance_sequence(conn, current, len(fresh))
            self._record_processed(conn, fresh)
            seqs = dict(zip((e.event_id for e in fresh), range(first, first + len(fresh)), strict=True))
            creates = [e for e in fresh if isinstance(e, TransactionCreated)]
            budgets = [e for e in fresh if isinstance(e, BudgetSet)]
            if creates:
                conn.exec_driver_sql(self._sql.create_txn, [_create_row(e, seqs[e.event_id]) for e in creates])
            if budgets:
                conn.exec_driver_sql(self._sql.upsert_budget, [_budget_row(e, seqs[e.event_id]) for e in budgets])
            # Corrections in arrival order: each applies only over an older version.
            for e in fresh:
                if isinstance(e, TransactionUpdated):
                    self._update(conn, e, seqs[e.event_id])
                elif isinstance(e, TransactionDeleted):
                    self._delete(conn, e, seqs[e.event_id])
            return ApplyResult(len(fresh), len(events) - len(fresh))

    def _unseen(self, conn: sa.Connection, events: Sequence[AnyEvent]) -> list[AnyEvent]:
        unique: dict[str, AnyEvent] = {}
        for e in events:
            unique.setdefault(str(e.event_id), e)
        ids = list(unique)
        seen: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            marks = ", ".join([self._sql.mark] * len(chunk))
            rows = conn.exec_driver_sql(
                f"SELECT event_id FROM processed_events WHERE event_id IN ({marks})", tuple(chunk)
            )
            seen.update(r[0] for r in rows)
        return [e for key, e in unique.items() if key not in seen]

    def _advance_sequence(self, conn: sa.Connection, current: int, count: int) -> int:
        # The counter row stays locked until commit, so later writers get later numbers and
        # commit later: a reader that has seen sequence N will never find a smaller one appear.
        conn.exec_driver_sql(f"UPDATE change_counter SET value = {self._sql.mark} WHERE id = 1", (current + count,))
        return current + 1

    def _record_processed(self, conn: sa.Connection, fresh: Sequence[AnyEvent]) -> None:
        now = time.time_ns() // 1_000
        m = self._sql.mark
        conn.exec_driver_sql(
            f"INSERT INTO processed_events (event_id, processed_at) VALUES ({m}, {m})",
            [(str(e.event_id), now) for e in fresh],
        )

    def _update(self, conn: sa.Connection, e: TransactionUpdated, seq: int) -> None:
        m = self._sql.mark
        values = _change_values(e)
        sets = ", ".join(f"{column} = {m}" for column in values)
        conn.exec_driver_sql(
            f"UPDATE transactions SET {sets}, version = {m}, change_seq = {m}, last_updated = {self._sql.now} "
            f"WHERE user_id = {m} AND id = {m} AND deleted = {m} AND version < {m}",
            (*values.values(), e.version, seq, e.user_id, str(e.transaction_id), False, e.version),
        )

    def _delete(self, conn: sa.Connection, e: TransactionDeleted, seq: int) -> None:
        m = self._sql.mark
        conn.exec_driver_sql(
            f"UPDATE transactions SET deleted = {m}, version = {m}, change_seq = {m}, last_updated = {self._sql.now} "
            f"WHERE user_id = {m} AND id = {m} AND version < {m}",
            (True, e.version, seq, e.user_id, str(e.transaction_id), e.version),
        )

    # -- reads ----------------------------------------------------------------------------------

    def get_transaction(self, *, user_id: str, transaction_id: str) -> dict | None:
        t = transactions.c
        query = sa.select(transactions).where(t.user_id == user_id, t.id == transaction_id, t.deleted.is_(False))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _public(row) if row else None

    def list_transactions(
        self,
        *,
        user_id: str,
        start: date | None = None,
        end: date | None = None,
        category: str | None = None,
        kind: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Newest first by booking date, then by when it was recorded; keyset-paginated."""
        t = transactions.c
        query = sa.select(transactions).where(t.user_id == user_id, t.deleted.is_(False))
        if start:
            query = query.where(t.booking_date >= start)
        if end:
            query = query.where(t.booking_date <= end)
        if category:
            query = query.where(t.category == category)
        if kind:
            query = query.where(t.type == kind)
        if cursor:
            d, rec, tid = decode_cursor(cursor)  # a 400 Problem when it is not ours
            query = query.where(
                sa.or_(
                    t.booking_date < d,
                    sa.and_(
                        t.booking_date == d, sa.or_(t.recorded_at < rec, sa.and_(t.recorded_at == rec, t.id < tid))
                    ),
                )
            )
        query = query.order_by(t.booking_date.desc(), t.recorded_at.desc(), t.id.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1] if rows else None
        next_cursor = encode_cursor(last["booking_date"], last["recorded_at"], last["id"]) if more and last else None
        return Page([_public(r) for r in rows], next_cursor)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")


def _create_row(e: TransactionCreated, seq: int) -> tuple:
    t = e.transaction
    return (
        e.user_id,
        str(t.id),
        t.type.value,
        str(t.amount),
        t.currency,
        t.category,
        t.description,
        t.date.isoformat(),
        orjson.dumps(t.tags).decode(),
        e.version,
        e.version,
        False,
        seq,
    )


def _budget_row(e: BudgetSet, seq: int) -> tuple:
    b = e.budget
    return (e.user_id, b.category, b.month, str(b.amount), b.currency, e.version, seq)


def _change_values(e: TransactionUpdated) -> dict[str, object]:
    """Column values for the fields a correction names, keyed by column."""
    changes = e.changes
    out: dict[str, object] = {}
    for name in sorted(changes.model_fields_set):
        value = getattr(changes, name)
        if name == "type":
            out["type"] = value.value
        elif name == "amount":
            out["amount"] = str(value)
        elif name == "date":
            out["booking_date"] = value.isoformat()
        elif name == "tags":
            out["tags"] = orjson.dumps(value or []).decode()
        else:
            out[name] = value
    return out


def _public(row) -> dict:
    """A stored row as the API shows it: amounts as strings with the currency's minor units."""
    return {
        "id": row["id"],
        "type": row["type"],
        "amount": format_amount(Decimal(str(row["amount"])), row["currency"]),
        "currency": row["currency"],
        "category": row["category"],
        "description": row["description"],
        "date": row["booking_date"].isoformat(),
        "tags": orjson.loads(row["tags"]),
        "version": row["version"],
    }
