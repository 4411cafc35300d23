"""Exchange rates: the ECB's euro reference rates per currency and day (a branch of the schema from 0002).

Revision ID: 0300
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0300"
down_revision = "0002"
branch_labels = ("rates",)
depends_on = None


def _mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    args = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"} if _mysql() else {}
    # SQLite (the embedded stand-in) would turn NUMERIC into floats: there rates stay exact text.
    rate = sa.Numeric(20, 10) if _mysql() else sa.String(24)
    op.create_table(
        "exchange_rates",
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("per_euro", rate, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        sa.Column("loaded_at", sa.BigInteger, nullable=False),
        **args,
    )
    op.create_index("ix_exchange_rates_change_seq", "exchange_rates", ["change_seq", "currency", "day"])


def downgrade() -> None:
    op.drop_table("exchange_rates")
