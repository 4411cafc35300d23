"""The ECB's euro reference rates as loaded (migration 0300_rates): reference data, not a user's, so no user_id.

A load commits as one batch under one change_seq taken from the change counter, so the analytics sync reads rates
in commit order beside every other table; only a rate whose value changed takes the new sequence.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# 10 fraction digits hold every published rate exactly (the ECB publishes at most 6 significant digits).
RATE_DIGITS = 10
RATE_LIMIT = 10**10  # DECIMAL(20, 10): ten integer digits
Rate = sa.Numeric(20, RATE_DIGITS, asdecimal=True).with_variant(sa.String(24), "sqlite")  # SQLite: exact text

exchange_rates = sa.Table(
    "exchange_rates",
    metadata,
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("per_euro", Rate, nullable=False),  # units of the currency one euro buys
    sa.Column("source", sa.String(20), nullable=False),  # ecb-daily | ecb-hist | upload
    sa.Column("change_seq", sa.BigInteger, nullable=False),  # one value per load
    sa.Column("loaded_at", sa.BigInteger, nullable=False),  # µs since the epoch
    sa.Index("ix_exchange_rates_change_seq", "change_seq", "currency", "day"),  # the sync's keyset
)
