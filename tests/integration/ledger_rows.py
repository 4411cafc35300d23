"""A user's ledger written straight into MySQL, as storage would leave it: the analytics side reads MySQL only, so
its tests need no write route. Each write takes the next change_seq under the counter's lock, like storage, and
the ledger keeps its own plain copy of every live row for the tests' independent arithmetic."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

import orjson
import sqlalchemy as sa

_TX = (
    "user_id, id, type, amount, currency, category, description, booking_date, tags, recorded_at, version, "
    "deleted, change_seq, account_id, payee, splits"
)
_TRANSFER = (
    "user_id, id, from_account, to_account, amount, to_amount, from_currency, to_currency, booking_date, "
    "description, version, deleted, recorded_at, change_seq"
)
_ACCOUNT = "user_id, id, name, type, currency, opening_balance, opening_date, closed, version, recorded_at, change_seq"


@dataclass(frozen=True)
class Tx:
    id: str
    type: str
    amount: Decimal
    currency: str
    category: str
    day: dt.date
    account: str | None = None
    splits: tuple[tuple[str, Decimal], ...] = ()
    version: int = 1

    def parts(self) -> list[tuple[str, Decimal]]:
        return list(self.splits) or [(self.category, self.amount)]

    @property
    def signed(self) -> Decimal:
        return self.amount if self.type == "income" else -self.amount


@dataclass(frozen=True)
class Transfer:
    id: str
    from_account: str
    to_account: str
    amount: Decimal
    to_amount: Decimal
    day: dt.date
    version: int = 1


@dataclass(frozen=True)
class Acct:
    id: str
    type: str
    currency: str
    opening: Decimal
    opened: dt.date


@dataclass
class Ledger:
    engine: sa.Engine
    user: str
    accounts: dict[str, Acct] = field(default_factory=dict)
    txs: dict[str, Tx] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)

    def _write(self, sql: str, params: dict) -> None:
        with self.engine.begin() as conn:
            seq = conn.execute(sa.text("SELECT value FROM change_counter WHERE id = 1 FOR UPDATE")).scalar_one() + 1
            conn.execute(sa.text("UPDATE change_counter SET value = :s WHERE id = 1"), {"s": seq})
            conn.execute(sa.text(sql), {**params, "change_seq": seq, "recorded_at": time.time_ns() // 1000})

    @staticmethod
    def _insert(table: str, columns: str) -> str:
        names = [c.strip() for c in columns.split(",")]
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"

    def account(self, kind: str, currency: str, opening: str, opened: dt.date) -> str:
        acct = Acct(str(uuid.uuid4()), kind, currency, Decimal(opening), opened)
        self._write(
            self._insert("accounts", _ACCOUNT),
            {"user_id": self.user, "id": acct.id, "name": f"{kind} {currency}", "type": kind, "currency": currency,
             "opening_balance": acct.opening, "opening_date": opened, "closed": False, "version": 1},
        )  # fmt: skip
        self.accounts[acct.id] = acct
        return acct.id

    def _tx_params(self, tx: Tx, deleted: bool) -> dict:
        splits = [{"category": c, "amount": str(a), "description": None} for c, a in tx.splits]
        return {
            "user_id": self.user, "id": tx.id, "type": tx.type, "amount": tx.amount, "currency": tx.currency,
            "category": tx.category, "description": None, "booking_date": tx.day, "tags": "[]",
            "version": tx.version, "deleted": deleted, "account_id": tx.account, "payee": None,
            "splits": orjson.dumps(splits).decode() if splits else None,
        }  # fmt: skip

    def transaction(self, kind: str, amount: str, currency: str, category: str, day: dt.date, **kw) -> str:
        splits = tuple((c, Decimal(a)) for c, a in kw.pop("splits", ()))
        tx = Tx(str(uuid.uuid4()), kind, Decimal(amount), currency, category, day, splits=splits, **kw)
        self._write(self._insert("transactions", _TX), self._tx_params(tx, False))
        self.txs[tx.id] = tx
        return tx.id

    def _rewrite(self, table: str, row_id: str, params: dict) -> None:
        sets = ", ".join(f"{k} = :{k}" for k in params if k not in ("user_id", "id"))
        where = "WHERE user_id = :user_id AND id = :id"
        self._write(f"UPDATE {table} SET {sets}, change_seq = :change_seq {where}", params)

    def correct(self, tx_id: str, **changes) -> None:
        if "splits" in changes:
            changes["splits"] = tuple((c, Decimal(a)) for c, a in changes["splits"])
        if "amount" in changes:
            changes["amount"] = Decimal(changes["amount"])
        tx = replace(self.txs[tx_id], **changes, version=self.txs[tx_id].version + 1)
        self._rewrite("transactions", tx_id, self._tx_params(tx, False))
        self.txs[tx_id] = tx

    def delete(self, tx_id: str) -> None:
        held = self.txs.pop(tx_id)
        tx = replace(held, version=held.version + 1)
        self._rewrite("transactions", tx_id, self._tx_params(tx, True))

    def transfer(self, from_account: str, to_account: str, amount: str, to_amount: str | None, day: dt.date) -> str:
        t = Transfer(str(uuid.uuid4()), from_account, to_account, Decimal(amount), Decimal(to_amount or amount), day)
        self._write(self._insert("transfers", _TRANSFER), self._transfer_params(t, False))
        self.transfers[t.id] = t
        return t.id

    def _transfer_params(self, t: Transfer, deleted: bool) -> dict:
        return {
            "user_id": self.user, "id": t.id, "from_account": t.from_account, "to_account": t.to_account,
            "amount": t.amount, "to_amount": t.to_amount, "from_currency": self.accounts[t.from_account].currency,
            "to_currency": self.accounts[t.to_account].currency, "booking_date": t.day, "description": None,
            "version": t.version, "deleted": deleted,
        }  # fmt: skip

    def delete_transfer(self, transfer_id: str) -> None:
        t = replace(self.transfers.pop(transfer_id), version=2)
        self._rewrite("transfers", transfer_id, self._transfer_params(t, True))

    def home_currency(self, currency: str) -> None:
        self._write(
            "INSERT INTO user_settings (user_id, home_currency, version, change_seq) "
            "VALUES (:user_id, :home_currency, 1, :change_seq) ON DUPLICATE KEY UPDATE "
            "home_currency = VALUES(home_currency), version = version + 1, change_seq = VALUES(change_seq)",
            {"user_id": self.user, "home_currency": currency},
        )

    def budget(self, category: str, month: str, amount: str, currency: str) -> None:
        self._write(
            "INSERT INTO budgets (user_id, category, month, amount, currency, version, change_seq) "
            "VALUES (:user_id, :category, :month, :amount, :currency, 1, :change_seq)",
            {
                "user_id": self.user,
                "category": category,
                "month": month,
                "amount": Decimal(amount),
                "currency": currency,
            },  # fmt: skip
        )

    # -- the test's own arithmetic ----------------------------------------------------------------

    def month_changes(self) -> dict[str, dict[str, Decimal]]:
        """account -> month -> net movement, from the live rows."""
        out: dict[str, dict[str, Decimal]] = {}
        moves = [(t.account, t.day, t.signed) for t in self.txs.values() if t.account]
        for t in self.transfers.values():
            moves += [(t.from_account, t.day, -t.amount), (t.to_account, t.day, t.to_amount)]
        for account, day, amount in moves:
            months = out.setdefault(account, {})
            months[day.isoformat()[:7]] = months.get(day.isoformat()[:7], Decimal(0)) + amount
        return out
