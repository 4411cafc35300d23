"""The system-of-record adapter's reads: a user's own transactions and operations, and the database's identity;
their accounts and settings (account_reads.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.adapters.mysql.account_reads import AccountReads
from shared.adapters.mysql.listing import Page
from shared.adapters.mysql.tables import database_identity, operation_rejections, operations, transactions
from shared.domain.cursor import decode_cursor, encode_cursor
from shared.domain.ledger import etag
from shared.domain.money import format_amount


class ReadStore(Protocol):
    """What the storage service reads; every read is scoped to one user."""

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
        account_id: str | None = None,
    ) -> Page: ...

    def get_operation(self, *, user_id: str, operation_id: str) -> dict | None: ...


class Reads(AccountReads):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_transaction(self, *, user_id: str, transaction_id: str) -> dict | None:
        t = transactions.c
        query = sa.select(transactions).where(t.user_id == user_id, t.id == transaction_id, t.deleted.is_(False))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return public(row) if row else None

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
        account_id: str | None = None,
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
        if account_id:
            query = query.where(t.account_id == account_id)
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
        return Page([public(r) for r in rows], next_cursor)

    def get_operation(self, *, user_id: str, operation_id: str) -> dict | None:
        """The operation's outcome so far, with each refused event's reason; None when storage has seen none."""
        o, r = operations.c, operation_rejections.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(operations).where(o.id == operation_id, o.user_id == user_id)).mappings()
            found = row.first()
            if found is None:
                return None
            refused = conn.execute(
                sa.select(r.idx, r.problem).where(r.operation_id == operation_id).order_by(r.idx)
            ).all()
        return {**found, "rejections": [(int(i), orjson.loads(p)) for i, p in refused]}

    def identity(self) -> str:
        """This database's identity, made once by its migrations."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(database_identity.c.value)).scalar_one()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")


def public(row: Any) -> dict:
    """A stored row as the API shows it: amounts as strings with the currency's minor units, its ETag."""
    return {
        "id": row["id"],
        "type": row["type"],
        "amount": format_amount(Decimal(str(row["amount"])), row["currency"]),
        "currency": row["currency"],
        "category": row["category"],
        "description": row["description"],
        "date": row["booking_date"].isoformat(),
        "tags": orjson.loads(row["tags"]),
        "account_id": row["account_id"],
        "payee": row["payee"],
        "splits": orjson.loads(row["splits"]) if row["splits"] else [],
        "version": row["version"],
        "etag": etag(row["version"]),
    }
