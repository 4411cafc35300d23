"""Reading MySQL's changes in pages by change_seq, for the incremental sync."""

from __future__ import annotations

import sqlalchemy as sa

from shared.adapters.analytics.account_changes import RATE_SOURCE_COLUMNS


def pages(mysql: sa.Connection, table: str, columns: str, after: int, hi: int, size: int):
    """Keyset pages in change_seq order over the unique index: cost follows the changes, not the table."""
    query = sa.text(
        f"SELECT {columns} FROM {table} WHERE change_seq > :after AND change_seq <= :hi ORDER BY change_seq LIMIT :size"
    )
    seq_at = [c.strip() for c in columns.split(",")].index("change_seq")
    while after < hi:
        rows = mysql.execute(query, {"after": after, "hi": hi, "size": size}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][seq_at]


_RATES_AFTER = (
    f"SELECT {RATE_SOURCE_COLUMNS} FROM exchange_rates WHERE change_seq <= :hi AND (change_seq > :seq "
    "OR (change_seq = :seq AND (currency > :currency OR (currency = :currency AND day > :day)))) "
    "ORDER BY change_seq, currency, day LIMIT :size"
)


def rate_pages(mysql: sa.Connection, after: int, hi: int, size: int):
    """Rates share one change_seq per load: pages are keyed on (change_seq, currency, day), its index's order."""
    key = {"seq": after, "currency": "", "day": "0001-01-01"}
    while True:
        rows = mysql.execute(sa.text(_RATES_AFTER), {**key, "hi": hi, "size": size}).all()
        if not rows:
            return
        yield rows
        currency, day, _, _, seq = rows[-1]
        key = {"seq": seq, "currency": currency, "day": day}
