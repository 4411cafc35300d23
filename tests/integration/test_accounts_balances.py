"""Balances through the real broker, the storage trigger and MariaDB, against the test's own arithmetic in integer
cents: three accounts (EUR current, EUR card, USD savings) after 1,000 random writes over HTTP (transactions, some
split, some corrected or deleted; transfers, some across currencies, some deleted)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field

from tests.support.accounts import accepted, balances, cents, listing, money, open_account, outcome

SEED = 20261130
WRITES = 1_000
CATEGORIES = ["groceries", "rent", "fuel", "salary", "fun", "health"]


@dataclass
class Txn:
    account: str | None
    currency: str
    type: str
    amount: int
    date: str
    category: str = "groceries"
    splits: list[tuple[str, int]] = field(default_factory=list)

    def signed(self) -> int:
        return self.amount if self.type == "income" else -self.amount


def parts(rng: random.Random, amount: int) -> list[tuple[str, int]]:
    """Two to four parts in whole cents, each positive, adding up exactly."""
    n = min(rng.randint(2, 4), amount)
    cuts = sorted(rng.sample(range(1, amount), n - 1)) if n > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, amount], strict=True)]
    return [(rng.choice(CATEGORIES), s) for s in sizes]


def wire_splits(splits: list[tuple[str, int]]) -> list[dict]:
    return [{"category": c, "amount": money(a)} for c, a in splits]


class Model:
    """What the test expects, computed without the code under test."""

    def __init__(self, rng: random.Random, accounts: dict[str, tuple[str, int]]) -> None:
        self.rng, self.accounts = rng, accounts  # id -> (currency, opening cents)
        self.txns: dict[str, Txn] = {}
        self.transfers: dict[str, tuple[str, str, int, int]] = {}  # id -> from, to, amount, to_amount

    def day(self) -> str:
        return (dt.date(2026, 1, 1) + dt.timedelta(days=self.rng.randrange(360))).isoformat()

    def balances(self) -> dict[str, int]:
        out = {a: opening for a, (_, opening) in self.accounts.items()}
        for t in self.txns.values():
            if t.account:
                out[t.account] += t.signed()
        for source, target, amount, to_amount in self.transfers.values():
            out[source] -= amount
            out[target] += to_amount
        return out

    def entries(self, account: str) -> Counter:
        """(kind, id, signed cents) of every entry of the account."""
        out = Counter((("transaction", i, t.signed()) for i, t in self.txns.items() if t.account == account))
        for i, (source, target, amount, to_amount) in self.transfers.items():
            if source == account:
                out[("transfer_out", i, -amount)] += 1
            if target == account:
                out[("transfer_in", i, to_amount)] += 1
        return out

    # -- the writes, each as (method, path, body) and its effect on the model -------------------------------------

    def create(self) -> tuple[str, str, dict]:
        rng = self.rng
        account = rng.choice([*self.accounts, None]) if rng.random() < 0.95 else None
        currency = self.accounts[account][0] if account else "EUR"
        t = Txn(account, currency, rng.choice(["expense"] * 3 + ["income"]), rng.randint(1, 40_000), self.day())
        t.category = rng.choice(CATEGORIES)
        if rng.random() < 0.3 and t.amount > 1:
            t.splits = parts(rng, t.amount)
        tid = str(uuid.uuid4())
        self.txns[tid] = t
        body = {"id": tid, "type": t.type, "amount": money(t.amount), "currency": currency, "category": t.category}
        body |= {"date": t.date, "splits": wire_splits(t.splits), "account_id": account}
        return "POST", "/api/transactions", body

    def correct(self) -> tuple[str, str, dict]:
        rng = self.rng
        tid = rng.choice(list(self.txns))
        t = self.txns[tid]
        what = rng.choice(["amount", "splits", "date", "type", "move", "category"])
        if what == "amount":
            t.amount = rng.randint(2, 40_000)
            changes = {"amount": money(t.amount)}
            if t.splits:  # the parts must follow the amount, or the correction is rejected
                t.splits = parts(rng, t.amount)
                changes["splits"] = wire_splits(t.splits)
        elif what == "splits":
            t.splits = parts(rng, t.amount) if t.amount > 1 and not t.splits else []
            changes = {"splits": wire_splits(t.splits)}  # alone: storage checks them against the stored amount
        elif what == "date":
            t.date = self.day()
            changes = {"date": t.date}
        elif what == "type":
            t.type = "income" if t.type == "expense" else "expense"
            changes = {"type": t.type}
        elif what == "move":
            same = [a for a, (c, _) in self.accounts.items() if c == t.currency and a != t.account]
            t.account = rng.choice([*same, None])
            changes = {"account_id": t.account}
        else:
            t.category = rng.choice(CATEGORIES)
            changes = {"category": t.category, "payee": "Corner shop"}
        return "PATCH", f"/api/transactions/{tid}", changes

    def delete(self) -> tuple[str, str, None]:
        tid = self.rng.choice(list(self.txns))
        del self.txns[tid]
        return "DELETE", f"/api/transactions/{tid}", None

    def transfer(self) -> tuple[str, str, dict]:
        rng = self.rng
        source, target = rng.sample(list(self.accounts), 2)
        amount = rng.randint(1, 60_000)
        across = self.accounts[source][0] != self.accounts[target][0]
        to_amount = rng.randint(1, 70_000) if across else amount
        tid = str(uuid.uuid4())
        self.transfers[tid] = (source, target, amount, to_amount)
        body = {"id": tid, "from_account": source, "to_account": target, "amount": money(amount), "date": self.day()}
        return "POST", "/api/transfers", {**body, **({"to_amount": money(to_amount)} if across else {})}

    def untransfer(self) -> tuple[str, str, None]:
        tid = self.rng.choice(list(self.transfers))
        del self.transfers[tid]
        return "DELETE", f"/api/transfers/{tid}", None

    def next_write(self) -> tuple[str, str, dict | None]:
        r = self.rng.random()
        if r < 0.55 or len(self.txns) < 5:
            return self.create()
        if r < 0.70:
            return self.correct()
        if r < 0.78:
            return self.delete()
        if r < 0.95 or not self.transfers:
            return self.transfer()
        return self.untransfer()


def test_balances_and_running_balances_equal_the_tests_own_arithmetic_to_the_cent(client):
    accounts = {
        open_account(client, "Current", "checking", "EUR", 150_000): ("EUR", 150_000),
        open_account(client, "Card", "credit_card", "EUR", -25_000): ("EUR", -25_000),
        open_account(client, "Savings", "savings", "USD", 1_000_000): ("USD", 1_000_000),
    }
    model = Model(random.Random(SEED), accounts)
    ops = []
    for _ in range(WRITES):  # one thread: the broker keeps the order they were sent in
        method, path, body = model.next_write()
        ops.append((accepted(client.request(method, path, json=body)), method, path))
    refused = [(m, p, o) for op, m, p in ops if (o := outcome(client, op))["status"] != "applied"]
    assert refused == [], f"seed {SEED}: every write the model made is valid"

    expected = model.balances()
    assert balances(client) == expected, f"seed {SEED}"
    for account, (_, opening) in accounts.items():
        rows = listing(client, account, limit=97)  # pages that end mid-day
        assert cents(rows[0]["balance"]) == expected[account]
        after = [cents(r["balance"]) for r in rows]
        moved = [cents(r["amount"]) for r in rows]
        before = [*after[1:], opening]  # newest first: each row's balance is the next (older) row's plus its own
        assert [a - m for a, m in zip(after, moved, strict=True)] == before
        assert Counter((r["kind"], r["id"], cents(r["amount"])) for r in rows) == model.entries(account)
        for r in rows:
            if r["kind"] == "transaction":
                assert r["splits"] == [
                    {"category": c, "amount": money(a), "description": None} for c, a in model.txns[r["id"]].splits
                ]

        ids, cursor = set(), None
        while True:
            params = {"account_id": account, "limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/transactions", params=params).json()
            ids |= {t["id"] for t in page["items"]}
            if not (cursor := page["next_cursor"]):
                break
        assert ids == {i for i, t in model.txns.items() if t.account == account}
