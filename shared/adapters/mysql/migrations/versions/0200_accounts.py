"""Accounts, transfers and user settings; transactions gain an account, a payee and splits (issue 12).

Balances are never stored: they are the opening balance plus the entries, summed at read time.

Revision ID: 0200
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0200"
down_revision = "0002"
branch_labels = ("accounts",)
depends_on = None


def _mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _args() -> dict:
    return {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"} if _mysql() else {}


def _money() -> sa.types.TypeEngine:
    return sa.Numeric(19, 4) if _mysql() else sa.String(24)  # SQLite would turn NUMERIC into floats


def _last_updated() -> sa.Column:
    if _mysql():
        default = "CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"
        return sa.Column("last_updated", mysql.TIMESTAMP(fsp=6), nullable=False, server_default=sa.text(default))
    default = "(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))"
    return sa.Column("last_updated", sa.DateTime, nullable=False, server_default=sa.text(default))


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("opening_balance", _money(), nullable=False),
        sa.Column("opening_date", sa.Date, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        _last_updated(),
        sa.UniqueConstraint("change_seq", name="uq_accounts_change_seq"),
        **_args(),
    )
    op.create_table(
        "transfers",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("from_account", sa.String(36), nullable=False),
        sa.Column("to_account", sa.String(36), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("to_amount", _money(), nullable=False),
        sa.Column("from_currency", sa.String(3), nullable=False),
        sa.Column("to_currency", sa.String(3), nullable=False),
        sa.Column("booking_date", sa.Date, nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        _last_updated(),
        sa.UniqueConstraint("change_seq", name="uq_transfers_change_seq"),
        **_args(),
    )
    for side in ("from_account", "to_account"):
        op.create_index(f"ix_transfers_{side}", "transfers", ["user_id", side, "booking_date", "recorded_at", "id"])
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("home_currency", sa.String(3), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        _last_updated(),
        sa.UniqueConstraint("change_seq", name="uq_user_settings_change_seq"),
        **_args(),
    )
    op.add_column("transactions", sa.Column("account_id", sa.String(36), nullable=True))
    op.add_column("transactions", sa.Column("payee", sa.String(200), nullable=True))
    op.add_column("transactions", sa.Column("splits", sa.Text, nullable=True))
    op.create_index(
        "ix_transactions_account", "transactions", ["user_id", "account_id", "booking_date", "recorded_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_account", "transactions")
    with op.batch_alter_table("transactions") as batch:  # SQLite drops columns by copying the table
        for column in ("splits", "payee", "account_id"):
            batch.drop_column(column)
    for table in ("user_settings", "transfers", "accounts"):
        op.drop_table(table)
