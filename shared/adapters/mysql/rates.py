"""The exchange rates' store: a load upserted as one transaction under one change sequence.

Upsert by (currency, day), and only a rate whose value differs is rewritten: reloading the same file, or the
daily file after the history that already holds its day, changes nothing the analytics sync would read again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.engine import Engine

from shared.adapters.mysql.engine import is_mysql
from shared.adapters.mysql.sql import dialect_sql
from shared.domain.rates import Rate

_CHUNK = 5_000
_COLUMNS = "(currency, day, per_euro, source, change_seq, loaded_at)"
# MySQL evaluates the assignments left to right: per_euro is compared before it is overwritten.
_SAME = "per_euro = VALUES(per_euro)"
_UPSERT_MYSQL = (
    f"INSERT INTO exchange_rates {_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE "
    f"change_seq = IF({_SAME}, change_seq, VALUES(change_seq)), source = IF({_SAME}, source, VALUES(source)), "
    f"loaded_at = IF({_SAME}, loaded_at, VALUES(loaded_at)), per_euro = VALUES(per_euro)"
)
_UPSERT_SQLITE = (
    f"INSERT INTO exchange_rates {_COLUMNS} VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (currency, day) DO UPDATE SET "
    "per_euro = excluded.per_euro, source = excluded.source, change_seq = excluded.change_seq, "
    "loaded_at = excluded.loaded_at WHERE exchange_rates.per_euro <> excluded.per_euro"
)


def rate_text(value: Decimal) -> str:
    """The rate as exact text without trailing zeros ("169.3"): one spelling per value, so equal compares equal."""
    return format(value.normalize(), "f")


class SqlRates:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mysql = is_mysql(engine)
        self._sql = dialect_sql(self._mysql)

    def load(self, rates: Sequence[Rate], *, source: str) -> int:
        """Upsert the rates in one transaction; returns the change sequence the changed rows carry."""
        now = time.time_ns() // 1_000
        upsert = _UPSERT_MYSQL if self._mysql else _UPSERT_SQLITE
        with self.engine.begin() as conn:
            seq = conn.exec_driver_sql(self._sql.lock_counter).scalar_one() + 1  # held until commit
            conn.exec_driver_sql(self._sql.set_counter, (seq,))
            rows = [(r.currency, r.day, self._value(r.per_euro), source, seq, now) for r in rates]
            for i in range(0, len(rows), _CHUNK):
                conn.exec_driver_sql(upsert, rows[i : i + _CHUNK])
        return seq

    def _value(self, per_euro: Decimal) -> Decimal | str:
        return per_euro if self._mysql else rate_text(per_euro)
