"""A stored batch's accounts, transfers and settings: read under lock in the batch's transaction, changed by the
domain's rules (shared/domain/ledger_accounts.py) in event order, and written with the batch's transactions.

Transactions look their accounts up here, as the batch's earlier events left them: an account opened, or closed,
earlier in the same batch counts for the events after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from shared.adapters.mysql.sql import Sql
from shared.domain import ledger_accounts as rules
from shared.domain.accounts import Account, AccountType
from shared.domain.changefeed import account_change, settings_change, transfer_change
from shared.domain.events import (
    AccountChanged,
    AccountOpened,
    AnyEvent,
    BudgetSet,
    SettingsSet,
    TransactionCreated,
    TransactionImported,
    TransactionUpdated,
    TransferCreated,
    TransferDeleted,
)
from shared.domain.ledger import Accounts, Record, Result
from shared.domain.money import quantize

_CHUNK = 500
ACCOUNT_EVENTS = (AccountOpened, AccountChanged, TransferCreated, TransferDeleted, SettingsSet)
_ACCOUNT = "user_id, id, name, type, currency, opening_balance, opening_date, closed, version, recorded_at"
_TRANSFER = (
    "user_id, id, from_account, to_account, amount, to_amount, from_currency, to_currency, booking_date, "
    "description, version, deleted, recorded_at"
)


def _names_an_account(e: AnyEvent) -> bool:
    if isinstance(e, TransactionCreated):
        return e.transaction.account_id is not None
    if isinstance(e, TransactionUpdated):
        return e.changes.account_id is not None
    if isinstance(e, BudgetSet):
        return e.budget.accounts is not None
    return isinstance(e, (*ACCOUNT_EVENTS, TransactionImported))


class AccountState:
    """The accounts of every user whose events may need one, and the transfers and settings the events name."""

    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], rules.AccountRecord] = {}
        self.transfers: dict[tuple[str, str], rules.TransferRecord] = {}
        self.settings: dict[str, rules.SettingsRecord] = {}

    @classmethod
    def read(cls, conn, sql: Sql, events: Sequence[AnyEvent], records: Iterable[Record]) -> AccountState:
        state = cls()
        users = {e.user_id for e in events if _names_an_account(e)} | {r.user_id for r in records if r.account_id}
        for row in _select(conn, sql, f"SELECT {_ACCOUNT} FROM accounts WHERE user_id IN ({{}})", sorted(users)):
            state.accounts[(row[0], row[1])] = _account(row)
        keys = sorted(
            {(e.user_id, str(_transfer_id(e))) for e in events if isinstance(e, TransferCreated | TransferDeleted)}
        )
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            pairs = ", ".join([f"({sql.mark}, {sql.mark})"] * len(chunk))
            query = f"SELECT {_TRANSFER} FROM transfers WHERE (user_id, id) IN ({pairs}){sql.for_update}"
            for row in conn.exec_driver_sql(query, tuple(v for k in chunk for v in k)):
                state.transfers[(row[0], row[1])] = _transfer(row)
        setters = sorted({e.user_id for e in events if isinstance(e, SettingsSet)})
        query = "SELECT user_id, home_currency, version FROM user_settings WHERE user_id IN ({})"
        for user_id, home, version in _select(conn, sql, query, setters):
            state.settings[user_id] = rules.SettingsRecord(user_id, home, int(version))
        return state


def _select(conn, sql: Sql, query: str, keys: Sequence[str]) -> list:
    rows = []
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        rows += conn.exec_driver_sql(query.format(", ".join([sql.mark] * len(chunk))) + sql.for_update, tuple(chunk))
    return rows


def _transfer_id(e: TransferCreated | TransferDeleted):
    return e.transfer.id if isinstance(e, TransferCreated) else e.transfer_id


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _money(value, currency: str) -> Decimal:
    return quantize(value if isinstance(value, Decimal) else Decimal(value), currency)


def _account(row) -> rules.AccountRecord:
    user_id, aid, name, kind, currency, opening, opened, closed, version, recorded_at = row
    account = Account(aid, name, AccountType(kind), currency, _money(opening, currency), _day(opened), bool(closed))
    return rules.AccountRecord(user_id, account, int(version), int(recorded_at))


def _transfer(row) -> rules.TransferRecord:
    user_id, tid, source, target, amount, to_amount, cur_from, cur_to, day, description, version, deleted, rec = row
    return rules.TransferRecord(
        user_id, tid, source, target, _money(amount, cur_from), _money(to_amount, cur_to), cur_from, cur_to,
        _day(day), description, int(version), bool(deleted), int(rec),
    )  # fmt: skip


class AccountBatch:
    """The account-side events of a batch applied in order over the loaded state. Nothing here touches the database."""

    def __init__(self, loaded: AccountState, *, now_us: int) -> None:
        self._now = now_us
        self._before = (dict(loaded.accounts), dict(loaded.transfers), dict(loaded.settings))
        self.accounts, self.transfers, self.settings = dict(loaded.accounts), dict(loaded.transfers), {}
        self._stored_settings = dict(loaded.settings)
        self._seqs: dict[tuple, int] = {}

    def lookup(self, user_id: str) -> Accounts:
        """The user's accounts as the batch's events so far left them."""

        def account(account_id: str) -> Account | None:
            found = self.accounts.get((user_id, account_id))
            return None if found is None else found.account

        return account

    def apply(self, e: AnyEvent) -> Result:
        if isinstance(e, AccountOpened):
            key = (e.user_id, str(e.account.id))
            new, result = rules.open_account(self.accounts.get(key), e, now_us=self._now)
        elif isinstance(e, AccountChanged):
            key = (e.user_id, str(e.account_id))
            new, result = rules.change_account(self.accounts.get(key), e)
        elif isinstance(e, SettingsSet):
            current = self.settings.get(e.user_id) or self._stored_settings.get(e.user_id)
            self.settings[e.user_id], result = rules.set_settings(current, e)
            return result
        else:
            key = (e.user_id, str(_transfer_id(e)))
            if isinstance(e, TransferCreated):
                made = rules.create_transfer(
                    self.transfers.get(key), e, accounts=self.lookup(e.user_id), now_us=self._now
                )
            else:
                made = rules.delete_transfer(self.transfers.get(key), e, accounts=self.lookup(e.user_id))
            if made[0] is not None:
                self.transfers[key] = made[0]
            return made[1]
        if new is not None:
            self.accounts[key] = new
        return result

    def _changed(self, now: dict, before: dict) -> list:
        return [(before.get(k), r) for k, r in now.items() if before.get(k) is not r]

    def number_changes(self, next_seq: Callable[[], int]) -> list[dict]:
        """The change records of accounts (first: transactions may name them), transfers and settings."""
        feed = []
        for before, after in self._changed(self.accounts, self._before[0]):
            self._seqs[("a", *after.key)] = seq = next_seq()
            feed.append(account_change(seq, before, after))
        for before, after in self._changed(self.transfers, self._before[1]):
            self._seqs[("t", *after.key)] = seq = next_seq()
            feed.append(transfer_change(seq, before, after))
        for after in self.settings.values():
            self._seqs[("s", after.key)] = seq = next_seq()
            feed.append(settings_change(seq, after))
        return feed

    def writes(self, sql: Sql) -> list[tuple[str, list[tuple]]]:
        m, now = sql.mark, sql.now
        new_accounts, old_accounts, new_transfers, old_transfers = [], [], [], []
        for before, r in self._changed(self.accounts, self._before[0]):
            a, seq = r.account, self._seqs[("a", *r.key)]
            if before is None:
                opening = (str(a.opening_balance), a.opening_date.isoformat())
                row = (r.user_id, a.id, a.name, a.type.value, a.currency, *opening, a.closed, r.version, r.recorded_at)
                new_accounts.append((*row, seq))
            else:
                old_accounts.append((a.name, a.closed, r.version, seq, r.user_id, a.id))
        for before, t in self._changed(self.transfers, self._before[1]):
            seq = self._seqs[("t", *t.key)]
            if before is None:
                amounts = (str(t.amount), str(t.to_amount), t.from_currency, t.to_currency)
                row = (t.user_id, t.id, t.from_account, t.to_account, *amounts, t.date.isoformat(), t.description)
                new_transfers.append((*row, t.version, t.deleted, t.recorded_at, seq))
            else:
                old_transfers.append((t.deleted, t.version, seq, t.user_id, t.id))
        settings = [(s.home_currency, s.version, self._seqs[("s", s.key)], s.user_id) for s in self.settings.values()]
        stored = self._stored_settings
        return [
            (f"INSERT INTO accounts ({_ACCOUNT}, change_seq) VALUES ({', '.join([m] * 11)})", new_accounts),
            (
                f"UPDATE accounts SET name = {m}, closed = {m}, version = {m}, change_seq = {m}, last_updated = {now} "
                f"WHERE user_id = {m} AND id = {m}",
                old_accounts,
            ),
            (f"INSERT INTO transfers ({_TRANSFER}, change_seq) VALUES ({', '.join([m] * 14)})", new_transfers),
            (
                f"UPDATE transfers SET deleted = {m}, version = {m}, change_seq = {m}, last_updated = {now} "
                f"WHERE user_id = {m} AND id = {m}",
                old_transfers,
            ),
            (
                f"INSERT INTO user_settings (home_currency, version, change_seq, user_id) VALUES ({m}, {m}, {m}, {m})",
                [s for s in settings if s[3] not in stored],
            ),
            (
                f"UPDATE user_settings SET home_currency = {m}, version = {m}, change_seq = {m}, "
                f"last_updated = {now} WHERE user_id = {m}",
                [s for s in settings if s[3] in stored],
            ),
        ]
