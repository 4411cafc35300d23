"""Operations and their outcomes, the change feed's outbox, the database's identity, budget-alert state, and an
index for pruning processed events.

Revision ID: 0002
Revises: 0001
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _args() -> dict:
    return {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"} if _mysql() else {}


def upgrade() -> None:
    money = sa.Numeric(19, 4) if _mysql() else sa.String(24)
    blob = mysql.MEDIUMBLOB() if _mysql() else sa.LargeBinary()
    op.create_table(
        "database_identity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.String(36), nullable=False),
        **_args(),
    )
    op.bulk_insert(
        sa.table("database_identity", sa.column("id"), sa.column("value")), [{"id": 1, "value": str(uuid.uuid4())}]
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("expected", sa.Integer, nullable=False),
        sa.Column("applied", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("resource", sa.String(200)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        **_args(),
    )
    op.create_index("ix_operations_updated_at", "operations", ["updated_at"])
    op.create_table(
        "operation_rejections",
        sa.Column("operation_id", sa.String(36), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("problem", sa.Text, nullable=False),
        **_args(),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("records", blob, nullable=False),
        **_args(),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])
    op.create_table(
        "alert_spend",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("spent", money, nullable=False),
        **_args(),
    )
    op.create_table(
        "alert_progress",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        **_args(),
    )
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("sent", sa.Boolean, nullable=False),
        **_args(),
    )
    op.create_index("ix_alerts_user_created", "alerts", ["user_id", "created_at"])
    op.create_index("ix_alerts_unsent", "alerts", ["sent"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_processed_at", "processed_events")
    for table in ("alerts", "alert_progress", "alert_spend", "outbox", "operation_rejections", "operations"):
        op.drop_table(table)
    op.drop_table("database_identity")
