"""MySQL as the source of the analytics store: how far its committed changes reach, and what a store lacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# Every table the analytics store copies. change_seq is indexed in each, so MAX and the range counts are index
# lookups; it is unique in all but exchange_rates, where one load's changed rows share one value.
SYNCED_TABLES = ("transactions", "budgets", "accounts", "transfers", "user_settings", "exchange_rates")
_HIGH = sa.text("SELECT " + ", ".join(f"COALESCE((SELECT MAX(change_seq) FROM {t}), 0)" for t in SYNCED_TABLES))
_PENDING = sa.text("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t} WHERE change_seq > :w)" for t in SYNCED_TABLES))


@dataclass(frozen=True)
class SourceHead:
    """Where MySQL stands: its newest change_seq and how many rows changed after a watermark."""

    change_seq: int
    pending_rows: int


def source_identity(engine: Engine) -> str:
    """The database's identity, made once by its migrations: a store built from another database is not ours."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT value FROM database_identity WHERE id = 1").scalar_one()


def committed_high(engine: Engine) -> int:
    """The highest change sequence committed in MySQL: every smaller one is committed too."""
    with engine.connect() as conn:
        return int(max(conn.execute(_HIGH).one()))


def source_head(engine: Engine) -> Callable[[int], SourceHead]:
    """A reader of MySQL's position relative to a watermark."""

    def read(watermark: int) -> SourceHead:
        with engine.connect() as conn:
            high = int(max(conn.execute(_HIGH).one()))
            pending = sum(int(n) for n in conn.execute(_PENDING, {"w": watermark}).one())
        return SourceHead(change_seq=high, pending_rows=pending)

    return read
