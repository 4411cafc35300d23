"""The processor's store for accounts, transfers, splits and rates, against the real MariaDB and real SQLite
files: parts in the totals, transfers only in the accounts' months, the month movements equal to the test's own
sums, rates of one load synced across pages, and a rebuild equal to the incremental sync, row for row."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.analytics.rebuild import rebuild
from shared.adapters.analytics.schema import from_e4, to_e4
from shared.adapters.analytics.sync import sync
from shared.adapters.mysql.rates import SqlRates
from shared.services.rates import Rates
from tests.integration.ledger_rows import Ledger
from tests.integration.test_processor_sync import assert_consistent

DIGITS = {"EUR": 2, "USD": 2, "JPY": 0}
CATEGORIES = ("groceries", "rent", "fun", "salary")
START = dt.date(2025, 1, 1)
DATA = Path(__file__).parents[1] / "data" / "ecb"

# Per user, every table the store keeps for one, in a stable order: two stores are equal when these are.
USER_TABLES = {
    "transactions": "SELECT * FROM transactions WHERE user_id = ? ORDER BY id",
    "transaction_splits": "SELECT * FROM transaction_splits WHERE user_id = ? ORDER BY 2, 3",
    "monthly_totals": "SELECT * FROM monthly_totals WHERE user_id = ? ORDER BY 2, 3, 4",
    "account_months": "SELECT * FROM account_months WHERE user_id = ? ORDER BY 2, 3",
    "accounts": "SELECT * FROM accounts WHERE user_id = ? ORDER BY id",
    "transfers": "SELECT * FROM transfers WHERE user_id = ? ORDER BY id",
    "user_settings": "SELECT * FROM user_settings WHERE user_id = ?",
}


def dump(path, user: str) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        out = {name: [tuple(r) for r in conn.execute(sql, (user,))] for name, sql in USER_TABLES.items()}
        out["exchange_rates"] = [tuple(r) for r in conn.execute("SELECT * FROM exchange_rates ORDER BY 1, 2")]
    finally:
        conn.close()
    return out


def money(rng: random.Random, currency: str) -> Decimal:
    return Decimal(rng.randint(1, 200_000)).scaleb(-DIGITS[currency])


def random_ledger(ledger: Ledger, rng: random.Random, n: int) -> None:
    """Transactions (some split, some in an account), transfers (some cross-currency), corrections, deletions."""
    checking = ledger.account("checking", "EUR", "1000.00", START)
    card = ledger.account("credit_card", "EUR", "-50.00", START)
    savings = ledger.account("savings", "USD", "0.00", START)
    accounts = [checking, card, savings, None]
    for _ in range(n):
        day = START + dt.timedelta(days=rng.randint(0, 300))
        roll = rng.random()
        if roll < 0.2 and ledger.txs:
            tx_id = rng.choice(list(ledger.txs))
            tx = ledger.txs[tx_id]
            choice = rng.choice(["delete", "split", "unsplit", "move", "amount"])
            if choice == "delete":
                ledger.delete(tx_id)
            elif choice == "split" and tx.amount >= 2:
                first = (tx.amount / 2).quantize(Decimal(1).scaleb(-DIGITS[tx.currency]))
                ledger.correct(tx_id, splits=[("fun", str(first)), ("rent", str(tx.amount - first))])
            elif choice == "unsplit":
                ledger.correct(tx_id, splits=[])
            elif choice == "move" and not tx.splits:
                same = [a for a in accounts if a is None or ledger.accounts[a].currency == tx.currency]
                ledger.correct(tx_id, account=rng.choice(same), day=day)
            elif choice == "amount" and not tx.splits:
                ledger.correct(tx_id, amount=str(money(rng, tx.currency)))
        elif roll < 0.35:
            a, b = rng.sample([checking, card, savings], 2)
            amount = money(rng, ledger.accounts[a].currency)
            cross = ledger.accounts[a].currency != ledger.accounts[b].currency
            to_amount = str(money(rng, ledger.accounts[b].currency)) if cross else None
            tid = ledger.transfer(a, b, str(amount), to_amount, day)
            if rng.random() < 0.1:
                ledger.delete_transfer(tid)
        else:
            account = rng.choice(accounts)
            currency = ledger.accounts[account].currency if account else rng.choice(list(DIGITS))
            amount = money(rng, currency)
            splits = []
            if rng.random() < 0.3 and amount >= 3:
                unit = Decimal(1).scaleb(-DIGITS[currency])
                first = unit * rng.randint(1, int(amount / unit) - 1)
                splits = [(rng.choice(CATEGORIES), str(first)), (rng.choice(CATEGORIES), str(amount - first))]
            kind = rng.choice(["income", "expense", "expense"])
            ledger.transaction(kind, str(amount), currency, rng.choice(CATEGORIES), day, account=account, splits=splits)


def expected_totals(ledger: Ledger) -> dict[tuple, tuple]:
    """(month, category, currency) -> (income, expense, parts, transactions), each split under its category."""
    out: dict[tuple, list] = {}
    for tx in ledger.txs.values():
        for index, (category, amount) in enumerate(tx.parts()):
            acc = out.setdefault((tx.day.isoformat()[:7], category, tx.currency), [Decimal(0), Decimal(0), 0, 0])
            acc[0 if tx.type == "income" else 1] += amount
            acc[2] += 1
            acc[3] += index == 0
    return {k: tuple(v) for k, v in out.items()}


def store_totals(path, user: str) -> dict[tuple, tuple]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT month, category, currency, income_e4, expense_e4, count, transactions FROM monthly_totals "
        "WHERE user_id = ?",
        (user,),
    ).fetchall()
    conn.close()
    return {(m, c, cur): (from_e4(i), from_e4(e), n, t) for m, c, cur, i, e, n, t in rows}


def store_months(path, user: str) -> dict[str, dict[str, Decimal]]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT account_id, month, change_e4 FROM account_months WHERE user_id = ?", (user,)).fetchall()
    conn.close()
    out: dict[str, dict[str, Decimal]] = {}
    for account, month, change in rows:
        out.setdefault(account, {})[month] = from_e4(change)
    return out


def nonzero(months: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
    return {a: {m: v for m, v in ms.items() if v} for a, ms in months.items() if any(ms.values())}


@pytest.fixture
def ledger(root, user) -> Ledger:
    return Ledger(root.engine, user)


def test_the_store_counts_parts_keeps_transfers_out_of_the_totals_and_equals_a_rebuild(root, ledger, user, tmp_path):
    seed = random.randrange(2**32)
    print(f"seed {seed}")
    rng = random.Random(seed)
    synced, rebuilt = tmp_path / "synced.db", tmp_path / "rebuilt.db"
    random_ledger(ledger, rng, 150)
    sync(engine=root.engine, path=synced)
    random_ledger(ledger, rng, 150)  # corrections and deletions of rows the store already holds
    ledger.home_currency("EUR")
    sync(engine=root.engine, path=synced, page_size=7)

    assert any(tx.splits for tx in ledger.txs.values()) and ledger.transfers
    assert store_totals(synced, user) == expected_totals(ledger)
    assert nonzero(store_months(synced, user)) == nonzero(ledger.month_changes())
    assert_consistent(synced)

    rebuild(engine=root.engine, path=rebuilt)
    assert dump(rebuilt, user) == dump(synced, user)
    assert_consistent(rebuilt)


def test_transfers_change_no_income_or_expense_figure(root, ledger, user, tmp_path):
    path = tmp_path / "store.db"
    a = ledger.account("checking", "EUR", "0.00", START)
    b = ledger.account("savings", "USD", "0.00", START)
    ledger.transaction("expense", "12.34", "EUR", "fun", dt.date(2025, 3, 3), account=a)
    sync(engine=root.engine, path=path)
    before = store_totals(path, user)

    for i in range(20):
        ledger.transfer(a, b, "100.00", "108.66", dt.date(2025, 3, 1 + i))
    sync(engine=root.engine, path=path)

    assert store_totals(path, user) == before
    assert store_months(path, user) == {
        a: {"2025-03": Decimal("-12.34") - 20 * Decimal("100.00")},
        b: {"2025-03": 20 * Decimal("108.66")},
    }


def test_the_rates_of_one_load_share_a_change_seq_and_still_sync_across_pages(root, db, tmp_path):
    path = tmp_path / "store.db"
    sync(engine=root.engine, path=path)
    Rates(store=SqlRates(root.engine)).load_file((DATA / "eurofxref-hist.csv").read_bytes())
    Rates(store=SqlRates(root.engine)).load_file(b"Date,NOK,\n2003-02-03,7.5000,\n")  # a load of its own

    sync(engine=root.engine, path=path, page_size=4)  # 41 rows of one change_seq over many pages

    with db.connect() as conn:
        mysql = {
            (c, str(d)): Decimal(v)
            for c, d, v in conn.exec_driver_sql("SELECT currency, day, per_euro FROM exchange_rates")
        }
    store = sqlite3.connect(path)
    copied = {(c, d): Decimal(v) for c, d, v in store.execute("SELECT currency, day, per_euro FROM exchange_rates")}
    store.close()
    assert copied == mysql
    assert copied[("JPY", "2024-05-17")] == Decimal("169.30") and ("ISK", "2024-05-15") not in copied
    assert to_e4(Decimal("1")) == 10_000  # the store's scale, which rates do not use: they stay exact text
