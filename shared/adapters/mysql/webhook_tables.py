"""Tables of the webhooks: the endpoints users registered and one row per delivery (migration 0100_webhooks).

Times are µs since the epoch in BIGINTs, as processed_events keeps them: the same on MySQL and SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("events", sa.String(255), nullable=False),  # comma-separated event types
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # active | disabled
    sa.Column("disabled_reason", sa.String(500)),
    sa.Column("disabled_at", sa.BigInteger),
    sa.Column("failing_since", sa.BigInteger),  # the first failure since the last success; NULL: not failing
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index("ix_webhooks_user", "user_id", "created_at"),
)

# The primary key is the delivery's webhook-id, derived from (source event, webhook): recording the same
# event twice (a redelivered Kafka message) finds the row already there.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("webhook_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("source_id", sa.String(80), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # the exact body sent, the same bytes on every retry
    sa.Column("status", sa.String(10), nullable=False),  # pending | delivered | failing | given_up
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("next_attempt_at", sa.BigInteger),  # NULL once delivered or given up
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("delivered_at", sa.BigInteger),
    sa.Index("ix_webhook_deliveries_due", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_listing", "webhook_id", "created_at", "id"),
)
