"""What an import's preview reads of the system of record: the account, the derived ids already there, and the
hand-entered transactions a row could be linked to. Plain reads, no locks: a preview records nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.adapters.mysql.tables import accounts, transactions
from shared.domain.accounts import Account, AccountType
from shared.domain.ledger import Record
from shared.domain.money import quantize

_CHUNK = 1_000


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


class SqlImportReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def account(self, *, user_id: str, account_id: str) -> Account | None:
        a = accounts.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(accounts).where(a.user_id == user_id, a.id == account_id)).mappings().first()
        if row is None:
            return None
        currency = row["currency"]
        return Account(
            id=row["id"],
            name=row["name"],
            type=AccountType(row["type"]),
            currency=currency,
            opening_balance=quantize(Decimal(str(row["opening_balance"])), currency),
            opening_date=_day(row["opening_date"]),
            closed=bool(row["closed"]),
        )

    def known(self, *, user_id: str, account_id: str, ids: Sequence[str]) -> set[str]:
        """The ids among `ids` a transaction has (as its id, or as the bank row a hand-entered one is linked to)."""
        t = transactions.c
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                chunk = list(ids[i : i + _CHUNK])
                found.update(conn.execute(sa.select(t.id).where(t.user_id == user_id, t.id.in_(chunk))).scalars())
                linked = sa.select(t.import_ref).where(
                    t.user_id == user_id, t.account_id == account_id, t.import_ref.in_(chunk)
                )
                found.update(conn.execute(linked).scalars())
        return found

    def candidates(self, *, user_id: str, account_id: str, start: dt.date, end: dt.date) -> list[Record]:
        """The account's live hand-entered transactions no bank row is linked to, dated start..end, by id."""
        t = transactions.c
        query = (
            sa.select(t.id, t.type, t.amount, t.currency, t.category, t.description, t.booking_date, t.payee, t.version)
            .where(
                t.user_id == user_id,
                t.account_id == account_id,
                t.booking_date.between(start, end),
                t.import_ref.is_(None),
                t.deleted.is_(False),
            )
            .order_by(t.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Record(
                user_id=user_id, id=tid, type=kind, amount=quantize(Decimal(str(amount)), currency), currency=currency,
                category=category, description=description, date=_day(day), tags=(), version=int(version),
                deleted=False, recorded_at=0, account_id=account_id, payee=payee,
            )
            for tid, kind, amount, currency, category, description, day, payee, version in rows
        ]  # fmt: skip
