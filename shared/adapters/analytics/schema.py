"""The analytics store's schema: the contract between the processor (writer) and the analyzer (reader).

Money is exact: INTEGER amounts scaled by 10^4 (`*_e4`), enough for every ISO 4217 minor unit, so SQL sums
stay exact integers; readers turn them back into Decimal with `from_e4`.
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
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_tx_user_date ON transactions (user_id, booking_date, recorded_at, id)",
    "CREATE INDEX IF NOT EXISTS ix_tx_user_month_cat ON transactions (user_id, month, category)",
    """CREATE TABLE IF NOT EXISTS monthly_totals (
        user_id TEXT NOT NULL,
        month TEXT NOT NULL,
        category TEXT NOT NULL,
        currency TEXT NOT NULL,
        income_e4 INTEGER NOT NULL DEFAULT 0,
        expense_e4 INTEGER NOT NULL DEFAULT 0,
        count INTEGER NOT NULL DEFAULT 0,
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
        PRIMARY KEY (user_id, category, month)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        watermark INTEGER NOT NULL,          -- highest MySQL change_seq applied
        synced_at TEXT NOT NULL,             -- ISO 8601 UTC time of the run that set it
        transactions INTEGER NOT NULL,       -- live transaction rows in the store
        source_id TEXT,                      -- the identity of the MySQL database it was built from
        rebuilt_at TEXT,                     -- when it was last rebuilt whole, and why
        rebuild_reason TEXT
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


def to_e4(amount: Decimal) -> int:
    return int(amount * SCALE)


def from_e4(value: int) -> Decimal:
    return Decimal(value) / SCALE


# Columns added to a table after stores were first created: (table, column, declaration).
ADDED_COLUMNS = (
    ("sync_state", "source_id", "TEXT"),
    ("sync_state", "rebuilt_at", "TEXT"),
    ("sync_state", "rebuild_reason", "TEXT"),
)
