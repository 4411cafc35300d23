"""The system-of-record adapter's writes: a batch of events applied in one transaction, in order, exactly once.

In that one transaction: the records as the domain rules (shared/domain/ledger.py) leave them, each change
numbered by the change counter (held under lock until commit, so sequence order is commit order), the ids of
the events applied (a redelivery finds them and changes nothing), each operation's outcome, and the batch's
change-feed records (the outbox, relayed after the commit).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError

from shared.adapters.mysql.batch import Batch, Loaded
from shared.adapters.mysql.engine import is_mysql
from shared.adapters.mysql.sql import dialect_sql
from shared.domain.events import AnyEvent

_CHUNK = 1_000


@dataclass(frozen=True)
class ApplyResult:
    applied: int  # events applied now
    duplicates: int  # events seen before (redeliveries), or creates of an id already recorded
    rejected: int = 0  # corrections/deletions refused (not_found, conflict, invalid): recorded as outcomes
    feed: list[dict] = field(default_factory=list)  # the batch's change-feed records


class Refused(Exception):
    """The database refused a value in the batch: about the events, never about the connection."""


class EventStore(Protocol):
    """What the storage service needs of the system of record for writing."""

    def apply(self, events: Sequence[AnyEvent]) -> ApplyResult: ...

    def outbox(self, limit: int) -> list[tuple[int, list[dict]]]: ...

    def forget_outbox(self, up_to: int) -> None: ...

    def prune(self, *, processed_before_us: int, operations_before_us: int) -> int: ...


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sql = dialect_sql(is_mysql(engine))

    def apply(self, events: Sequence[AnyEvent]) -> ApplyResult:
        """Apply a batch in one database transaction, in order; an event already applied is skipped.

        Refused when the database refuses a value (too long, out of range, a broken constraint); every other
        error (connection lost, server down, schema missing) propagates as it is: a reason to retry later.
        """
        try:
            return self._apply(events)
        except (DataError, IntegrityError) as exc:
            raise Refused(str(exc.orig)) from exc

    def _apply(self, events: Sequence[AnyEvent]) -> ApplyResult:
        sql, now = self._sql, time.time_ns() // 1_000
        with self.engine.begin() as conn:
            # Lock first: a second consumer holding a redelivered copy of this batch waits here, then finds
            # these events already recorded.
            counter = conn.exec_driver_sql(sql.lock_counter).scalar_one()
            fresh = self._unseen(conn, events)
            if not fresh:
                return ApplyResult(0, len(events))
            batch = Batch(fresh, Loaded.read(conn, sql, fresh), now_us=now, first_seq=counter + 1)
            writes = batch.writes(sql)
            conn.exec_driver_sql(sql.set_counter, (batch.last_seq,))
            conn.exec_driver_sql(sql.insert_processed, [(str(e.event_id), now) for e in fresh])
            for statement, rows in writes:
                if rows:
                    conn.exec_driver_sql(statement, rows)
            if batch.feed:
                payload = orjson.dumps(batch.feed)
                conn.exec_driver_sql(sql.insert_outbox, (batch.feed[-1]["seq"], payload))
            skipped = len(events) - len(fresh)
            return ApplyResult(batch.applied, batch.duplicates + skipped, batch.rejected, batch.feed)

    def _unseen(self, conn, events: Sequence[AnyEvent]) -> list[AnyEvent]:
        unique: dict[str, AnyEvent] = {}
        for e in events:
            unique.setdefault(str(e.event_id), e)
        ids = list(unique)
        seen: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            marks = ", ".join([self._sql.mark] * len(chunk))
            rows = conn.exec_driver_sql(
                f"SELECT event_id FROM processed_events WHERE event_id IN ({marks})", tuple(chunk)
            )
            seen.update(r[0] for r in rows)
        return [e for key, e in unique.items() if key not in seen]

    # -- the change feed's outbox ---------------------------------------------------------------

    def outbox(self, limit: int = 100) -> list[tuple[int, list[dict]]]:
        """Committed batches of change records not yet relayed, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT seq, records FROM outbox ORDER BY seq LIMIT {self._sql.mark}", (limit,)
            ).all()
        return [(int(seq), orjson.loads(records)) for seq, records in rows]

    def forget_outbox(self, up_to: int) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM outbox WHERE seq <= {self._sql.mark}", (up_to,))

    # -- bounded state --------------------------------------------------------------------------

    def prune(self, *, processed_before_us: int, operations_before_us: int, chunk: int = 5_000) -> int:
        """Forget processed events and finished operations older than the given times; returns rows deleted."""
        deleted = 0
        for statement, before in (
            (self._sql.prune_processed, processed_before_us),
            (self._sql.prune_rejections, operations_before_us),
            (self._sql.prune_operations, operations_before_us),
        ):
            while True:
                with self.engine.begin() as conn:
                    n = conn.exec_driver_sql(statement.format(chunk=chunk), (before,)).rowcount
                deleted += max(n, 0)
                if n < chunk:
                    break
        return deleted
