"""A stored batch's imported bank rows: what they need read under lock, and their runs applied by the domain's rule
(shared/domain/ledger_imports.py) over the batch's state, in event order.

Read with the batch's other rows, in its transaction: the transactions already standing for the rows' derived ids
(a hand-entered row linked earlier has the id as its import_ref, not as its id) and, when the import matches, the
hand-entered transactions of the account within the match window of the rows' dates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence

from shared.adapters.mysql.sql import RECORD_COLUMNS, Sql
from shared.domain import ledger
from shared.domain.accounts import Account
from shared.domain.events import AnyEvent, TransactionImported
from shared.domain.ledger_imports import MATCH_WINDOW_DAYS, import_rows, is_candidate

_CHUNK = 500
_WINDOW = dt.timedelta(days=MATCH_WINDOW_DAYS)


def _runs_key(e: TransactionImported) -> tuple[str, str, str]:
    return (e.user_id, str(e.account_id), str(e.import_id))


def read_import_rows(conn, sql: Sql, events: Sequence[AnyEvent], to_record: Callable) -> list[ledger.Record]:
    """The stored rows the batch's imported events may find, link or be duplicates of, locked for the batch."""
    groups: defaultdict[tuple[str, str], list[TransactionImported]] = defaultdict(list)
    for e in events:
        if isinstance(e, TransactionImported):
            groups[(e.user_id, str(e.account_id))].append(e)
    m, found = sql.mark, []
    for (user_id, account_id), rows in sorted(groups.items()):
        ids = sorted({str(e.row.id) for e in rows})
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            query = (
                f"SELECT {RECORD_COLUMNS} FROM transactions WHERE user_id = {m} AND account_id = {m} "
                f"AND import_ref IN ({', '.join([m] * len(chunk))}){sql.for_update}"
            )
            found += conn.exec_driver_sql(query, (user_id, account_id, *chunk)).all()
        if any(e.match for e in rows):
            days = [e.row.date for e in rows]
            query = (
                f"SELECT {RECORD_COLUMNS} FROM transactions WHERE user_id = {m} AND account_id = {m} "
                f"AND booking_date BETWEEN {m} AND {m} AND import_ref IS NULL AND deleted = {m}{sql.for_update}"
            )
            span = ((min(days) - _WINDOW).isoformat(), (max(days) + _WINDOW).isoformat())
            found += conn.exec_driver_sql(query, (user_id, account_id, *span, False)).all()
    return [to_record(row) for row in found]


class ImportRuns:
    """Applies the batch's imported rows a run at a time, over the batch's state as the earlier events left it.

    A run is the consecutive events of one import into one account; its rows are decided together when its first
    event comes up, and each event then takes its own result.
    """

    def __init__(
        self,
        events: Sequence[AnyEvent],
        state: dict[tuple[str, str], ledger.Record],
        accounts: Callable[[str], ledger.Accounts],
        *,
        now_us: int,
    ) -> None:
        self._events = events
        self._positions = {id(e): i for i, e in enumerate(events)}
        self._state = state
        self._accounts = accounts
        self._now = now_us
        self._results: dict[int, ledger.Result] = {}

    def apply(self, e: TransactionImported) -> ledger.Result:
        position = self._positions[id(e)]
        if position not in self._results:
            self._run(position)
        return self._results.pop(position)

    def _run(self, start: int) -> None:
        first = self._events[start]
        assert isinstance(first, TransactionImported)
        key, end = _runs_key(first), start
        while end < len(self._events):
            e = self._events[end]
            if not isinstance(e, TransactionImported) or _runs_key(e) != key:
                break
            end += 1
        run: list[TransactionImported] = list(self._events[start:end])  # type: ignore[arg-type]
        user_id, account_id = first.user_id, str(first.account_id)
        account: Account | None = self._accounts(user_id)(account_id)
        mine = [r for r in self._state.values() if r.user_id == user_id and r.account_id == account_id]
        refs = {r.import_ref for r in mine if r.import_ref is not None}
        low, high = min(e.row.date for e in run) - _WINDOW, max(e.row.date for e in run) + _WINDOW
        candidates = sorted(
            (r for r in mine if is_candidate(r, user_id, account_id) and low <= r.date <= high), key=lambda r: r.id
        )
        outcomes = import_rows(
            run,
            account=account,
            known=lambda row_id: (user_id, row_id) in self._state or row_id in refs,
            candidates=candidates,
            now_us=self._now,
        )
        for offset, outcome in enumerate(outcomes):
            if outcome.record is not None:
                self._state[outcome.record.key] = outcome.record
            self._results[start + offset] = outcome.result
