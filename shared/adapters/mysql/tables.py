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
    sa.Column("recorded_at", sa.BigInteger, nullable=False),  # version (µs) of the create event
    sa.Column("version", sa.BigInteger, nullable=False),  # version of the newest event applied
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("last_updated", Timestamp6, nullable=False),
    sa.Index("ix_transactions_listing", "user_id", "booking_date", "recorded_at", "id"),
    sa.Index("ix_transactions_last_updated", "last_updated"),
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
)

# One row per event ever applied: a redelivery finds its id here and changes nothing.
processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("processed_at", sa.BigInteger, nullable=False),  # µs since the epoch
)

# The change sequence: handed out under this row's lock, so sequence order is commit order.
change_counter = sa.Table(
    "change_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)
