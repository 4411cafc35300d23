"""Budgets that name an account set (a branch of the schema from 0200, where accounts begin).

`budgets.accounts` is the JSON array of the sorted account ids a budget counts; NULL is a global budget, as every
budget was before. `alert_account_spend` keeps the budget alerts' running expenses per account as well, for the
transactions that are in one, so an account-set budget is checked by summing at most 20 rows.
Expand only: code from before writes neither, and its budgets stay global.

The per-account totals start from the expenses the transactions table holds now (each split part under its own
category), as `alert_spend` holds them for a caught-up analyzer; the pipeline deploys right after migrating, so
what the old analyzer applies in between is the little the new one may count off by (docs/reliability.md).

Revision ID: 0500
Revises: 0200
"""

from decimal import Decimal

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = "0200"
branch_labels = ("budget_accounts",)
depends_on = None


def _mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    op.add_column("budgets", sa.Column("accounts", sa.Text, nullable=True))
    args = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"} if _mysql() else {}
    op.create_table(
        "alert_account_spend",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("spent", sa.Numeric(19, 4) if _mysql() else sa.String(24), nullable=False),
        **args,
    )
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    """Today's expenses in accounts, per user, month, category, currency and account."""
    totals: dict[tuple[str, str, str, str, str], Decimal] = {}
    rows = conn.execute(
        sa.text(
            "SELECT user_id, booking_date, category, currency, account_id, amount, splits FROM transactions "
            "WHERE account_id IS NOT NULL AND type = 'expense' AND deleted = :no"
        ),
        {"no": False},
    )
    for user_id, day, category, currency, account_id, amount, splits in rows:
        month = str(day)[:7]
        parts = [(p["category"], Decimal(p["amount"])) for p in orjson.loads(splits)] if splits else []
        for part_category, part_amount in parts or [(category, Decimal(str(amount)))]:
            key = (user_id, month, part_category, currency, account_id)
            totals[key] = totals.get(key, Decimal(0)) + part_amount
    insert = sa.text(
        "INSERT INTO alert_account_spend (user_id, month, category, currency, account_id, spent) "
        "VALUES (:u, :m, :c, :cur, :a, :s)"
    )
    batch = [{"u": u, "m": m, "c": c, "cur": cur, "a": a, "s": str(v)} for (u, m, c, cur, a), v in totals.items() if v]
    for i in range(0, len(batch), 1_000):
        conn.execute(insert, batch[i : i + 1_000])


def downgrade() -> None:
    op.drop_table("alert_account_spend")
    with op.batch_alter_table("budgets") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("accounts")
