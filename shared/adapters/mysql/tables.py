"""Tables of the system of record. Migrations (shared/adapters/mysql/migrations) create and upgrade them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

metadata = sa.MetaData()

# Money: 19 digits with 4 fraction digits covers every ISO 4217 minor unit (CLF has 4).
Money = sa.Numeric(19, 4, asdecimal=True).with_variant(sa.String(24), "sqlite")  # SQLite: exact text
# MySQL keeps microseconds and refreshes the column on every change of the row.
Timestamp6 = sa.DateTime().with_variant(mysql.TIMESTAMP(fsp=6), "mysql", "mariadb")

transactions = sa.Table(
    "transactions",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("type", sa.String(7), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("description", sa.String(500)),
    sa.Column("booking_date", sa.Date, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.BigInteger, nullable=False),  # µs since the epoch when first applied
    sa.Column("version", sa.BigInteger, nullable=False),  # numbered by storage: 1, 2, 3... (older rows: µs)
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("last_updated", Timestamp6, nullable=False),
    sa.Column("account_id", sa.String(36)),  # NULL: in no account (migration 0200_accounts)
    sa.Column("payee", sa.String(200)),
    sa.Column("splits", sa.Text),  # JSON array of Split.to_json(currency), like tags; NULL: not split
    sa.Column("import_ref", sa.String(36)),  # the bank row it stands for (migration 0400_imports); NULL: none
    sa.Index("ix_transactions_listing", "user_id", "booking_date", "recorded_at", "id"),
    sa.Index("ix_transactions_last_updated", "last_updated"),
    sa.Index("ix_transactions_account", "user_id", "account_id", "booking_date", "recorded_at", "id"),
    sa.Index("uq_transactions_import_ref", "user_id", "account_id", "import_ref", unique=True),
)

# Accounts (migration 0200_accounts): balances are never stored, but summed from the entries when read.
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("type", sa.String(12), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),  # never changes: transfers copy it
    sa.Column("opening_balance", Money, nullable=False),  # signed: what is owed is negative
    sa.Column("opening_date", sa.Date, nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("last_updated", Timestamp6, nullable=False),
)

# A transfer is one row with two legs: out of from_account (amount), into to_account (to_amount).
transfers = sa.Table(
    "transfers",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("from_account", sa.String(36), nullable=False),
    sa.Column("to_account", sa.String(36), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("to_amount", Money, nullable=False),  # = amount within one currency: every row states both sides
    sa.Column("from_currency", sa.String(3), nullable=False),
    sa.Column("to_currency", sa.String(3), nullable=False),
    sa.Column("booking_date", sa.Date, nullable=False),
    sa.Column("description", sa.String(500)),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("last_updated", Timestamp6, nullable=False),
    sa.Index("ix_transfers_from_account", "user_id", "from_account", "booking_date", "recorded_at", "id"),
    sa.Index("ix_transfers_to_account", "user_id", "to_account", "booking_date", "recorded_at", "id"),
)

user_settings = sa.Table(
    "user_settings",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("home_currency", sa.String(3), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("last_updated", Timestamp6, nullable=False),
)

budgets = sa.Table(
    "budgets",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("amount", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("last_updated", Timestamp6, nullable=False),
    sa.Column("accounts", sa.Text),  # JSON array of the sorted account ids it counts; NULL: every expense (0500)
)

# One row per event ever applied: a redelivery finds its id here and changes nothing.
processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("processed_at", sa.BigInteger, nullable=False),  # µs since the epoch
    sa.Index("ix_processed_events_processed_at", "processed_at"),  # pruning past the retention
)

# The change sequence: handed out under this row's lock, so sequence order is commit order.
change_counter = sa.Table(
    "change_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# The one identity of this database, made once by its first migration: the analytics store records which source
# it was built from, and rebuilds itself when pointed at another one (or at this one restored from a backup).
database_identity = sa.Table(
    "database_identity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.String(36), nullable=False),
)

# Every operation storage has seen an event of; its outcome, written in the same transaction as the changes.
operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("expected", sa.Integer, nullable=False),  # events the operation has
    sa.Column("applied", sa.Integer, nullable=False),
    sa.Column("duplicates", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("matched", sa.Integer, nullable=False, server_default="0"),  # imports' links (0400_imports)
    sa.Column("resource", sa.String(200)),
    sa.Column("created_at", sa.BigInteger, nullable=False),  # µs since the epoch
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Index("ix_operations_updated_at", "updated_at"),
)

# Why each refused event of an operation was refused (problem details), by its index in the operation.
operation_rejections = sa.Table(
    "operation_rejections",
    metadata,
    sa.Column("operation_id", sa.String(36), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("problem", sa.Text, nullable=False),
)

# The change feed's outbox: one row per stored batch, its change records (JSON), relayed after the commit.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("records", sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb"), nullable=False),
)

# Budget alerts (the analyzer's): running expenses per user, month, category and currency; the change feed
# position applied per user; and the alerts raised, each threshold of each budget once.
alert_spend = sa.Table(
    "alert_spend",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("spent", Money, nullable=False),
)
# The same, per account, for transactions in one (0500): an account-set budget sums its accounts' rows.
alert_account_spend = sa.Table(
    "alert_account_spend",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("spent", Money, nullable=False),
)
alert_progress = sa.Table(
    "alert_progress",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
)
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("threshold", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("sent", sa.Boolean, nullable=False),
    sa.Index("ix_alerts_user_created", "user_id", "created_at"),
    sa.Index("ix_alerts_unsent", "sent"),
)
