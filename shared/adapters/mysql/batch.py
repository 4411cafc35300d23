"""One stored batch: the rows it touches, read under lock; the events applied to them in order by the domain's
rules; and the writes, outcomes and change-feed records that follow, all computed before anything is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import orjson

from shared.adapters.mysql.batch_accounts import ACCOUNT_EVENTS, AccountBatch, AccountState
from shared.adapters.mysql.batch_imports import ImportRuns, read_import_rows
from shared.adapters.mysql.outcomes import Operation, kind_of, resource_of
from shared.adapters.mysql.sql import Sql
from shared.domain import ledger
from shared.domain.changefeed import budget_change, operation_change, transaction_change
from shared.domain.events import (
    AnyEvent,
    BudgetSet,
    TransactionCreated,
    TransactionDeleted,
    TransactionImported,
    TransactionUpdated,
)
from shared.domain.ledger_accounts import check_budget
from shared.domain.money import format_amount, quantize
from shared.domain.splits import Split

_CHUNK = 500


def _target(e: AnyEvent) -> tuple[str, str] | None:
    if isinstance(e, TransactionCreated):
        return (e.user_id, str(e.transaction.id))
    if isinstance(e, TransactionUpdated | TransactionDeleted):
        return (e.user_id, str(e.transaction_id))
    if isinstance(e, TransactionImported):
        return (e.user_id, str(e.row.id))
    return None


@dataclass
class Loaded:
    """The current state of everything a batch touches, read with row locks (MySQL) inside its transaction."""

    records: dict[tuple[str, str], ledger.Record] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    accounts: AccountState = field(default_factory=AccountState)

    @classmethod
    def read(cls, conn, sql: Sql, events: Sequence[AnyEvent]) -> Loaded:
        loaded = cls()
        keys = sorted({k for e in events if (k := _target(e))})
        for i in range(0, len(keys), _CHUNK):
            for row in conn.exec_driver_sql(*sql.locked_records(keys[i : i + _CHUNK])):
                record = _record(row)
                loaded.records[record.key] = record
        for record in read_import_rows(conn, sql, events, _record):
            loaded.records.setdefault(record.key, record)
        loaded.accounts = AccountState.read(conn, sql, events, loaded.records.values())
        ops = sorted({str(e.operation_id) for e in events if e.operation_id is not None})
        for i in range(0, len(ops), _CHUNK):
            chunk = ops[i : i + _CHUNK]
            marks = ", ".join([sql.mark] * len(chunk))
            rows = conn.exec_driver_sql(
                "SELECT id, user_id, kind, expected, resource, applied, duplicates, rejected, matched FROM operations "
                f"WHERE id IN ({marks}){sql.for_update}",
                tuple(chunk),
            )
            for row in rows:
                loaded.operations[row[0]] = Operation(*row, stored=True)
        return loaded


def _record(row) -> ledger.Record:
    user_id, tid, kind, amount, currency, category, description, day, tags, recorded_at, version, deleted = row[:12]
    import_ref, account_id, payee, splits = row[13:]
    return ledger.Record(
        user_id=user_id,
        id=tid,
        type=kind,
        amount=quantize(amount if isinstance(amount, Decimal) else Decimal(amount), currency),
        currency=currency,
        category=category,
        description=description,
        date=day if isinstance(day, dt.date) else dt.date.fromisoformat(day),
        tags=tuple(orjson.loads(tags)),
        version=int(version),
        deleted=bool(deleted),
        recorded_at=int(recorded_at),
        account_id=account_id,
        payee=payee,
        splits=tuple(Split.model_validate(s) for s in orjson.loads(splits)) if splits else (),
        import_ref=import_ref,
    )


def _accounts_text(e: BudgetSet) -> str | None:
    """A budget's account set as stored: a JSON array of the sorted ids; NULL for a global budget."""
    ids = e.budget.account_ids()
    return None if ids is None else orjson.dumps(ids).decode()


class Batch:
    """The events applied in order to the loaded state. Nothing here touches the database."""

    def __init__(self, events: Sequence[AnyEvent], loaded: Loaded, *, now_us: int, first_seq: int) -> None:
        self._now = now_us
        self._seq = first_seq - 1
        self._before = dict(loaded.records)
        self._state = dict(loaded.records)
        self._budgets: dict[tuple[str, str, str], BudgetSet] = {}
        self._ops = loaded.operations
        self._accounts = AccountBatch(loaded.accounts, now_us=now_us)
        self._imports = ImportRuns(events, self._state, self._accounts.lookup, now_us=now_us)
        self._touched: dict[str, Operation] = {}
        self._rejections: list[tuple[str, int, str]] = []  # operation id, event index, problem JSON
        self.applied = self.duplicates = self.rejected = 0
        for e in events:
            self._count(e, self._apply(e))
        self._seqs: dict[tuple, int] = {}
        self.feed = self._number_changes()

    @property
    def last_seq(self) -> int:
        return self._seq

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _apply(self, e: AnyEvent) -> ledger.Result:
        if isinstance(e, BudgetSet):
            result = check_budget(e, accounts=self._accounts.lookup(e.user_id))
            if result.kind == "applied":
                self._budgets[(e.user_id, e.budget.category, e.budget.month)] = e  # the last one in order wins
            return result
        if isinstance(e, ACCOUNT_EVENTS):
            return self._accounts.apply(e)
        if isinstance(e, TransactionImported):
            return self._imports.apply(e)
        key = _target(e)
        assert key is not None
        current, accounts = self._state.get(key), self._accounts.lookup(e.user_id)
        if isinstance(e, TransactionCreated):
            new, result = ledger.create(current, e, now_us=self._now, accounts=accounts)
        elif isinstance(e, TransactionUpdated):
            new, result = ledger.correct(current, e, accounts=accounts)
        else:
            new, result = ledger.delete(current, e, accounts=accounts)
        if new is not None:
            self._state[key] = new
        return result

    def _count(self, e: AnyEvent, result: ledger.Result) -> None:
        if result.kind == "applied":
            self.applied += 1
        elif result.kind == "duplicate":
            self.duplicates += 1
        else:
            self.rejected += 1
        if e.operation_id is None:
            return  # an event from before operations existed: nobody waits for its outcome
        op_id = str(e.operation_id)
        op = self._ops.get(op_id)
        if op is None:
            op = self._ops[op_id] = Operation(op_id, e.user_id, kind_of(e), e.operation_size, resource_of(e))
        self._touched[op_id] = op
        if result.kind == "applied":
            op.applied += 1
            op.matched += result.linked
        elif result.kind == "duplicate":
            op.duplicates += 1
        else:
            assert result.rejection is not None
            op.rejected += 1
            self._rejections.append((op_id, e.index, orjson.dumps(result.rejection.problem()).decode()))

    def _changed(self) -> list[tuple[ledger.Record | None, ledger.Record]]:
        return [(self._before.get(k), r) for k, r in self._state.items() if self._before.get(k) is not r]

    def _number_changes(self) -> list[dict]:
        """The change records, numbered in order; the rows written carry the same numbers."""
        feed = self._accounts.number_changes(self._next_seq)
        for before, after in self._changed():
            self._seqs[after.key] = seq = self._next_seq()
            feed.append(transaction_change(seq, before, after))
        for (user_id, category, month), e in self._budgets.items():
            self._seqs[(user_id, category, month)] = seq = self._next_seq()
            amount = format_amount(e.budget.amount, e.budget.currency)
            feed.append(budget_change(seq, user_id, category, month, amount, e.budget.currency, e.budget.account_ids()))
        for op in self._touched.values():
            if op.done:
                feed.append(operation_change(self._next_seq(), op.user_id, op.public()))
        return feed

    def writes(self, sql: Sql) -> list[tuple[str, list[tuple]]]:
        """The statements and their rows; the caller runs them in this order, in the batch's transaction."""
        inserts, updates = [], []
        for before, r in self._changed():
            seq, tags = self._seqs[r.key], orjson.dumps(list(r.tags)).decode()
            values = (r.type, str(r.amount), r.currency, r.category, r.description, r.date.isoformat(), tags)
            splits = orjson.dumps([s.to_json(r.currency) for s in r.splits]).decode() if r.splits else None
            if before is None:
                inserts.append((r.user_id, r.id, *values, r.recorded_at, r.version, r.deleted, seq, r.import_ref,
                                r.account_id, r.payee, splits))  # fmt: skip
            else:
                updates.append((*values, r.account_id, r.payee, splits, r.import_ref, r.version, r.deleted, seq,
                                r.user_id, r.id))  # fmt: skip
        budgets = [
            (u, c, m, str(e.budget.amount), e.budget.currency, _accounts_text(e), self._seqs[(u, c, m)])
            for (u, c, m), e in self._budgets.items()
        ]
        new_ops = [
            (o.id, o.user_id, o.kind, o.expected, o.applied, o.duplicates, o.rejected, o.matched, o.resource, self._now,
             self._now)
            for o in self._touched.values()
            if not o.stored
        ]  # fmt: skip
        old_ops = [
            (o.applied, o.duplicates, o.rejected, o.matched, self._now, o.id)
            for o in self._touched.values()
            if o.stored
        ]
        return [
            *self._accounts.writes(sql),  # accounts before the transactions that name them
            (sql.insert_record, inserts),
            (sql.update_record, updates),
            (sql.upsert_budget, budgets),
            (sql.insert_operation, new_ops),
            (sql.update_operation, old_ops),
            (sql.insert_rejection, self._rejections),
        ]
