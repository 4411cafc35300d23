"""Webhooks: registered endpoints and their deliveries (a branch of the schema from 0001).

Revision ID: 0100
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0001"
branch_labels = ("webhooks",)
depends_on = None


def _table_args() -> dict:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        return {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
    return {}


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("events", sa.String(255), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("disabled_reason", sa.String(500)),
        sa.Column("disabled_at", sa.BigInteger),
        sa.Column("failing_since", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        **_table_args(),
    )
    op.create_index("ix_webhooks_user", "webhooks", ["user_id", "created_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("webhook_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(80), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.String(500)),
        sa.Column("next_attempt_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("delivered_at", sa.BigInteger),
        **_table_args(),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["next_attempt_at"])
    op.create_index("ix_webhook_deliveries_listing", "webhook_deliveries", ["webhook_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
