"""The analytics store's schema: the contract between the processor (writer) and the analyzer (reader).

Money is exact: INTEGER amounts scaled by 10^4 (`*_e4`), enough for every ISO 4217 minor unit, so SQL sums
stay exact integers; readers turn them back into Decimal with `from_e4`. Exchange rates are exact text.

Splits: `transaction_splits` holds the parts of split transactions only; the `transaction_parts` view gives every
part (a plain transaction is one part, idx 0), which is what category totals, budgets and conversions count.
Transfers are in `transfers` and `account_months` only: never in `monthly_totals`, so never income or expense.
"""

from __future__ import annotations

from decimal import Decimal

SCALE = 10_000

DDL = (
    """CREATE TABLE IF NOT EXISTS transactions (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('income', 'expense')),
        amount_e4 INTEGER NOT NULL,
        currency TEXT NOT NULL,
        category TEXT NOT NULL,
        description TEXT,
        booking_date TEXT NOT NULL,          -- YYYY-MM-DD
        month TEXT NOT NULL,                 -- YYYY-MM, derived from booking_date
        tags TEXT NOT NULL,                  -- JSON array
        recorded_at INTEGER NOT NULL,        -- µs, version of the create event
        version INTEGER NOT NULL,
        change_seq INTEGER NOT NULL,
        account_id TEXT,                     -- NULL: in no account
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_tx_user_date ON transactions (user_id, booking_date, recorded_at, id)",
    """CREATE TABLE IF NOT EXISTS monthly_totals (
        user_id TEXT NOT NULL,
        month TEXT NOT NULL,
        category TEXT NOT NULL,
        currency TEXT NOT NULL,
        income_e4 INTEGER NOT NULL DEFAULT 0,
        expense_e4 INTEGER NOT NULL DEFAULT 0,
        count INTEGER NOT NULL DEFAULT 0,    -- parts (a row is gone when it reaches 0)
        transactions INTEGER NOT NULL DEFAULT 0,  -- transactions, each counted once (at its first part)
        PRIMARY KEY (user_id, month, category, currency)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_totals_month ON monthly_totals (month)",
    """CREATE TABLE IF NOT EXISTS budgets (
        user_id TEXT NOT NULL,
        category TEXT NOT NULL,
        month TEXT NOT NULL,
        amount_e4 INTEGER NOT NULL,
        currency TEXT NOT NULL,
        version INTEGER NOT NULL,
        change_seq INTEGER NOT NULL,
        accounts TEXT,                       -- JSON array of the sorted account ids it counts; NULL: every expense
        PRIMARY KEY (user_id, category, month)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        watermark INTEGER NOT NULL,          -- highest MySQL change_seq applied
        synced_at TEXT NOT NULL,             -- ISO 8601 UTC time of the run that set it
        transactions INTEGER NOT NULL,       -- live transaction rows in the store
        source_id TEXT,                      -- the identity of the MySQL database it was built from
        rebuilt_at TEXT,                     -- when it was last rebuilt whole, and why
        rebuild_reason TEXT,
        log_from INTEGER NOT NULL DEFAULT 0, -- user_changes holds every per-user change above this sequence
        budgets_from INTEGER                 -- set: the next sync copies budgets again from above this sequence
    )""",
    """CREATE TABLE IF NOT EXISTS transaction_splits (
        user_id TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        idx INTEGER NOT NULL,                -- order of the splits, from 0
        category TEXT NOT NULL,
        amount_e4 INTEGER NOT NULL,          -- in the transaction's currency, positive
        PRIMARY KEY (user_id, transaction_id, idx)
    ) WITHOUT ROWID""",
    # Every part of every transaction: a plain transaction is one part, each split of a split one is another.
    """CREATE VIEW IF NOT EXISTS transaction_parts AS
    SELECT t.user_id, t.id AS transaction_id, COALESCE(s.idx, 0) AS idx, t.type, t.currency, t.booking_date,
        t.month, COALESCE(s.category, t.category) AS category, COALESCE(s.amount_e4, t.amount_e4) AS amount_e4
    FROM transactions AS t
    LEFT JOIN transaction_splits AS s ON s.user_id = t.user_id AND s.transaction_id = t.id""",
    """CREATE TABLE IF NOT EXISTS accounts (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        currency TEXT NOT NULL,
        opening_balance_e4 INTEGER NOT NULL, -- signed: what is owed is negative
        opening_date TEXT NOT NULL,
        closed INTEGER NOT NULL,
        version INTEGER NOT NULL,
        change_seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS transfers (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        from_account TEXT NOT NULL,
        to_account TEXT NOT NULL,
        amount_e4 INTEGER NOT NULL,          -- leaves from_account, in from_currency
        to_amount_e4 INTEGER NOT NULL,       -- arrives in to_account, in to_currency
        from_currency TEXT NOT NULL,
        to_currency TEXT NOT NULL,
        booking_date TEXT NOT NULL,
        month TEXT NOT NULL,
        description TEXT,
        recorded_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        change_seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID""",
    # Each account's net movement per month (transactions signed, both legs of transfers), kept with the rows.
    """CREATE TABLE IF NOT EXISTS account_months (
        user_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        month TEXT NOT NULL,
        change_e4 INTEGER NOT NULL,
        entries INTEGER NOT NULL,            -- a row is gone when it reaches 0
        PRIMARY KEY (user_id, account_id, month)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS user_settings (
        user_id TEXT PRIMARY KEY,
        home_currency TEXT NOT NULL,
        version INTEGER NOT NULL,
        change_seq INTEGER NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS exchange_rates (
        currency TEXT NOT NULL,
        day TEXT NOT NULL,                   -- YYYY-MM-DD
        per_euro TEXT NOT NULL,              -- exact, as published: units of the currency one euro buys
        source TEXT NOT NULL,
        change_seq INTEGER NOT NULL,
        PRIMARY KEY (currency, day)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_rates_change_seq ON exchange_rates (change_seq)",
    # For publishing (shared/adapters/analytics/sharding.py): every user the store holds, placed in a shard of the
    # published snapshot by `hash`, written once per user; and a log of which user each change was for, appended
    # to in change order, which the publisher reads after the last published watermark and then prunes.
    """CREATE TABLE IF NOT EXISTS users (
        user_id TEXT PRIMARY KEY,
        hash INTEGER NOT NULL                -- CRC-32 of the id: shard k of N holds the k-th Nth of the range
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_users_hash ON users (hash)",
    """CREATE TABLE IF NOT EXISTS user_changes (
        change_seq INTEGER PRIMARY KEY,      -- one counter numbers every per-user table's changes in MySQL
        user_id TEXT NOT NULL
    )""",
    # Budget against actual: each budget beside the month's expenses in its category and currency.
    """CREATE VIEW IF NOT EXISTS budget_vs_actual AS
    SELECT b.user_id, b.month, b.category, b.currency,
        b.amount_e4 AS budget_e4,
        COALESCE(t.expense_e4, 0) AS spent_e4,
        b.amount_e4 - COALESCE(t.expense_e4, 0) AS remaining_e4
    FROM budgets AS b
    LEFT JOIN monthly_totals AS t
        ON t.user_id = b.user_id AND t.month = b.month AND t.category = b.category AND t.currency = b.currency""",
)


# A part of a published snapshot holds some users' rows: every table but the exchange rates, which all users share
# and which readers attach from the snapshot's rates file (an unqualified name finds the attached table).
RATES_DDL = tuple(s for s in DDL if "exchange_rates" in s and "VIEW" not in s)
PART_DDL = tuple(s for s in DDL if s not in RATES_DDL)


def to_e4(amount: Decimal) -> int:
    return int(amount * SCALE)


def from_e4(value: int) -> Decimal:
    return Decimal(value) / SCALE


# Columns added to a table after stores were first created: (table, column, declaration).
ADDED_COLUMNS = (
    ("sync_state", "source_id", "TEXT"),
    ("sync_state", "rebuilt_at", "TEXT"),
    ("sync_state", "rebuild_reason", "TEXT"),
    ("transactions", "account_id", "TEXT"),  # no account before accounts existed: NULL is right
    ("monthly_totals", "transactions", "INTEGER NOT NULL DEFAULT 0"),
    ("sync_state", "log_from", "INTEGER NOT NULL DEFAULT 0"),
    ("sync_state", "budgets_from", "INTEGER"),  # before budgets.accounts, whose backfill sets it
    ("budgets", "accounts", "TEXT"),
)
# Run in the transaction that adds the column: exact for the rows a store held before, which had no splits; a
# store from before the change log has logged nothing up to its watermark.
BACKFILL = {
    ("monthly_totals", "transactions"): "UPDATE monthly_totals SET transactions = count",
    ("sync_state", "log_from"): "UPDATE sync_state SET log_from = watermark",
    # Only MySQL knows which budgets name accounts (a store synced by code from before may hold them as global):
    # the next sync copies every budget again, in its own transaction with the rows it reads; until then the
    # store refuses to publish (publish.py).
    ("budgets", "accounts"): "UPDATE sync_state SET budgets_from = 0",
}
# Indexes a store may still have that nothing reads any more: each one cost a page write per change.
DROPPED_INDEXES = ("ix_tx_user_month_cat",)
