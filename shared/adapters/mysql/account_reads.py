"""A user's accounts from the system of record, with exact balances summed when read (never stored), their
entries newest first with the balance after each, and the user's settings.

An account's entries are three branches, each with the account predicate written in (no reliance on a view's
pushdown): its transactions (income +, expense −), transfers out (− amount) and transfers in (+ to_amount).
MySQL sums DECIMALs exactly; SQLite, which would sum text as floats, hands the amounts to Python instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.adapters.mysql.engine import is_mysql
from shared.adapters.mysql.listing import Page
from shared.adapters.mysql.tables import accounts, transactions, transfers, user_settings
from shared.domain.balances import running_balances
from shared.domain.cursor import decode_cursor, encode_cursor
from shared.domain.ledger import etag
from shared.domain.money import format_amount, quantize

_COLUMNS = (
    "account", "kind", "id", "booking_date", "recorded_at", "sign", "amount", "currency", "type", "category",
    "payee", "description", "splits", "version", "counterpart", "counterpart_amount", "counterpart_currency",
)  # fmt: skip
Key = tuple[dt.date, int, str, str]  # (booking date, recorded at, id, kind): the listing's order, newest first


class AccountReadStore(Protocol):
    """What the storage service reads of accounts; every read is scoped to one user."""

    def list_accounts(self, *, user_id: str, account_id: str | None = None) -> list[dict]: ...

    def account_entries(self, *, user_id: str, account_id: str, cursor: str | None, limit: int) -> Page | None: ...

    def get_settings(self, *, user_id: str) -> dict | None: ...


def _branches(user_id: str, account_id: str | None, *, older_than: Key | None = None) -> list[sa.Select]:
    """The entries' three branches, for one account (or every account of the user), strictly older than a key."""
    t, f = transactions.c, transfers.c
    null = sa.null
    txn = [
        t.account_id, sa.literal_column("'transaction'"), t.id, t.booking_date, t.recorded_at,
        sa.case((t.type == "income", 1), else_=-1), t.amount, t.currency, t.type, t.category, t.payee,
        t.description, t.splits, t.version, null(), null(), null(),
    ]  # fmt: skip
    out = [
        f.from_account, sa.literal_column("'transfer_out'"), f.id, f.booking_date, f.recorded_at, sa.literal(-1),
        f.amount, f.from_currency, null(), null(), null(), f.description, null(), f.version, f.to_account,
        f.to_amount, f.to_currency,
    ]  # fmt: skip
    into = [
        f.to_account, sa.literal_column("'transfer_in'"), f.id, f.booking_date, f.recorded_at, sa.literal(1),
        f.to_amount, f.to_currency, null(), null(), null(), f.description, null(), f.version, f.from_account,
        f.amount, f.from_currency,
    ]  # fmt: skip
    selects = []
    for kind, columns, table, deleted in (
        ("transaction", txn, transactions, t.deleted),
        ("transfer_out", out, transfers, f.deleted),
        ("transfer_in", into, transfers, f.deleted),
    ):
        account = columns[0]
        where = [table.c.user_id == user_id, deleted.is_(False)]
        where.append(account == account_id if account_id else account.is_not(None))
        if older_than is not None:
            where.append(_before(table.c.booking_date, table.c.recorded_at, table.c.id, kind, older_than))
        selects.append(sa.select(*(c.label(n) for c, n in zip(columns, _COLUMNS, strict=True))).where(*where))
    return selects


def _before(day, recorded, rid, kind: str, key: Key) -> sa.ColumnElement[bool]:
    """(day, recorded, id, kind) < key, with the branch's constant kind compared here, in Python."""
    d, r, i, k = key
    last = rid < i if kind >= k else rid <= i
    return sa.or_(day < d, sa.and_(day == d, sa.or_(recorded < r, sa.and_(recorded == r, last))))


class AccountReads:
    engine: Engine

    def list_accounts(self, *, user_id: str, account_id: str | None = None) -> list[dict]:
        """The user's accounts (or the one named), oldest first, each with its balance."""
        a = accounts.c
        query = sa.select(accounts).where(a.user_id == user_id).order_by(a.recorded_at, a.id)
        if account_id is not None:
            query = query.where(a.id == account_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            sums = _sums(conn, _branches(user_id, account_id), is_mysql(self.engine)) if rows else {}
        return [_account(row, sums.get(row["id"], Decimal(0))) for row in rows]

    def account_entries(self, *, user_id: str, account_id: str, cursor: str | None, limit: int) -> Page | None:
        """A page of the account's entries, newest first, each with the balance after it; None: not theirs."""
        key = _decode(cursor) if cursor else None
        mysql = is_mysql(self.engine)
        conn_options = {"isolation_level": "REPEATABLE READ"} if mysql else {}
        with self.engine.connect().execution_options(**conn_options) as conn, conn.begin():  # one snapshot
            found = conn.execute(
                sa.select(accounts).where(accounts.c.user_id == user_id, accounts.c.id == account_id)
            ).mappings()
            account = found.first()
            if account is None:
                return None
            rows = _page(conn, _branches(user_id, account_id, older_than=key), limit + 1)
            more, rows = len(rows) > limit, rows[:limit]
            start = Decimal(account["opening_balance"])
            if rows:
                older = _branches(user_id, account_id, older_than=_key(rows[-1]))
                start += _sums(conn, older, mysql).get(account_id, Decimal(0))
        currency = account["currency"]
        changes = [r["sign"] * Decimal(str(r["amount"])) for r in reversed(rows)]
        balances = list(reversed(running_balances(start, changes)))
        items = [_entry(r, b, currency) for r, b in zip(rows, balances, strict=True)]
        return Page(items, _encode(_key(rows[-1])) if more and rows else None)

    def get_settings(self, *, user_id: str) -> dict | None:
        s = user_settings.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.home_currency, s.version).where(s.user_id == user_id)).first()
        return None if row is None else {"home_currency": row[0], "version": int(row[1])}


def _sums(conn: Connection, branches: Sequence[sa.Select], mysql: bool) -> dict[str, Decimal]:
    """Σ signed amount per account: exactly, by MySQL's DECIMAL arithmetic or by Python's."""
    entries = sa.union_all(*branches).subquery()
    if mysql:
        query = sa.select(entries.c.account, sa.func.sum(entries.c.sign * entries.c.amount)).group_by(entries.c.account)
        return {account: Decimal(total) for account, total in conn.execute(query)}
    sums: dict[str, Decimal] = {}
    for account, sign, amount in conn.execute(sa.select(entries.c.account, entries.c.sign, entries.c.amount)):
        sums[account] = sums.get(account, Decimal(0)) + sign * Decimal(amount)
    return sums


def _page(conn: Connection, branches: Sequence[sa.Select], n: int) -> list[dict]:
    """The newest n entries: each branch ordered and limited on its own index, then merged."""

    def newest(query: sa.Select) -> sa.Select:
        sub = query.order_by(*(sa.desc(c) for c in ("booking_date", "recorded_at", "id"))).limit(n).subquery()
        return sa.select(sub)

    merged = sa.union_all(*(newest(b) for b in branches)).subquery()
    order = (sa.desc(merged.c[c]) for c in ("booking_date", "recorded_at", "id", "kind"))
    return [dict(r) for r in conn.execute(sa.select(merged).order_by(*order).limit(n)).mappings()]


def _key(row: dict) -> Key:
    day = row["booking_date"]
    return (day if isinstance(day, dt.date) else dt.date.fromisoformat(day), int(row["recorded_at"]), row["id"],
            row["kind"])  # fmt: skip


def _encode(key: Key) -> str:
    return encode_cursor(key[0], key[1], f"{key[2]}/{key[3]}")


def _decode(cursor: str) -> Key:
    day, recorded, tagged = decode_cursor(cursor)  # a 400 Problem when it is not one we handed out
    rid, _, kind = tagged.partition("/")
    return (day, recorded, rid, kind)


def _account(row, total: Decimal) -> dict:
    currency, opening = row["currency"], Decimal(str(row["opening_balance"]))
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "currency": currency,
        "opening_balance": format_amount(opening, currency),
        "opening_date": _day(row["opening_date"]),
        "balance": format_amount(opening + total, currency),
        "closed": bool(row["closed"]),
        "version": int(row["version"]),
        "etag": etag(int(row["version"])),
    }


def _entry(row: dict, balance: Decimal, currency: str) -> dict:
    amount = quantize(row["sign"] * Decimal(str(row["amount"])), currency)
    out = {"kind": row["kind"], "id": row["id"], "date": _day(row["booking_date"]), "amount": str(amount)}
    out |= {"balance": format_amount(balance, currency), "currency": currency, "description": row["description"]}
    out |= {"version": int(row["version"]), "etag": etag(int(row["version"]))}  # If-Match of a change or delete
    if row["kind"] == "transaction":
        splits = orjson.loads(row["splits"]) if row["splits"] else []
        out |= {"type": row["type"], "category": row["category"], "payee": row["payee"], "splits": splits}
    else:
        other = row["counterpart_currency"]
        out |= {"counterpart_account": row["counterpart"], "counterpart_currency": other}
        out["counterpart_amount"] = format_amount(Decimal(str(row["counterpart_amount"])), other)
    return out


def _day(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)
