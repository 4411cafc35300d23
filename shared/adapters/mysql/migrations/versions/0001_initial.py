"""The system of record: transactions, budgets, processed events, the change counter.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamp6() -> sa.Column:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        return sa.Column(
            "last_updated",
            mysql.TIMESTAMP(fsp=6),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"),
        )
    return sa.Column(
        "last_updated", sa.DateTime, nullable=False, server_default=sa.text("(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))")
    )


def _mysql_table_args() -> dict:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        return {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
    return {}


def upgrade() -> None:
    # SQLite (the embedded stand-in) would turn NUMERIC into floats: there amounts stay exact text.
    money = sa.String(24) if op.get_bind().dialect.name == "sqlite" else sa.Numeric(19, 4)
    op.create_table(
        "transactions",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(7), nullable=False),
        sa.Column("amount", money, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("booking_date", sa.Date, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        _timestamp6(),
        sa.UniqueConstraint("change_seq", name="uq_transactions_change_seq"),
        **_mysql_table_args(),
    )
    op.create_index("ix_transactions_listing", "transactions", ["user_id", "booking_date", "recorded_at", "id"])
    op.create_index("ix_transactions_last_updated", "transactions", ["last_updated"])
    op.create_table(
        "budgets",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("amount", money, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        _timestamp6(),
        sa.UniqueConstraint("change_seq", name="uq_budgets_change_seq"),
        **_mysql_table_args(),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.BigInteger, nullable=False),  # µs since the epoch
        **_mysql_table_args(),
    )
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        **_mysql_table_args(),
    )
    op.bulk_insert(sa.table("change_counter", sa.column("id"), sa.column("value")), [{"id": 1, "value": 0}])


def downgrade() -> None:
    for table in ("change_counter", "processed_events", "budgets", "transactions"):
        op.drop_table(table)
