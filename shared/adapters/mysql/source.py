"""The system of record's side of the `lag` query: MySQL's newest change_seq and what the store lacks."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.services.queries import SourceHead

# change_seq is unique in both tables, so MAX and the range count are index lookups.
_HEAD = sa.text(
    "SELECT (SELECT COALESCE(MAX(change_seq), 0) FROM transactions), "
    "(SELECT COALESCE(MAX(change_seq), 0) FROM budgets), "
    "(SELECT COUNT(*) FROM transactions WHERE change_seq > :w), "
    "(SELECT COUNT(*) FROM budgets WHERE change_seq > :w)"
)


def source_head(engine: Engine) -> Callable[[int], SourceHead]:
    """A reader of MySQL's position relative to a watermark."""

    def read(watermark: int) -> SourceHead:
        with engine.connect() as conn:
            txn_seq, budget_seq, txn_rows, budget_rows = conn.execute(_HEAD, {"w": watermark}).one()
        return SourceHead(change_seq=int(max(txn_seq, budget_seq)), pending_rows=int(txn_rows + budget_rows))

    return read
