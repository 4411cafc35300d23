"""An import's rows in a stored batch, in memory: the runs decided over the batch's state, the rows written with
their bank row ids, and the import's one operation counting new, duplicate, matched and rejected rows."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal

from shared.adapters.mysql.batch import Batch, Loaded
from shared.adapters.mysql.batch_accounts import AccountState
from shared.adapters.mysql.sql import dialect_sql
from shared.domain import ledger_accounts as rules
from shared.domain.accounts import Account, AccountType, NewAccount
from shared.domain.bank_rows import BankRow
from shared.domain.events import AccountOpened, TransactionCreated, TransactionImported
from shared.domain.ledger import Record
from shared.domain.transactions import NewTransaction

SQL = dialect_sql(mysql=False)


def _account() -> NewAccount:
    body = {"name": "Current", "type": "checking", "currency": "EUR", "opening_balance": "0"}
    return NewAccount.model_validate({**body, "opening_date": "2026-01-01"})


def _imports(account: NewAccount, rows: list[tuple[str, str]], *, op: uuid.UUID | None = None) -> list:
    op = op or uuid.uuid4()
    return [
        TransactionImported(
            user_id="u", operation_id=op, operation_size=len(rows), index=i, import_id=op, account_id=account.id,
            row=BankRow(id=uuid.uuid5(op, str(i)), line=i + 2, date=day, amount=amount, payee="Shop"),
        )
        for i, (day, amount) in enumerate(rows)
    ]  # fmt: skip


def _typed(account: NewAccount, amount: str, day: str) -> TransactionCreated:
    body = {"type": "expense", "amount": amount, "currency": "EUR", "category": "food", "date": day}
    t = NewTransaction.model_validate({**body, "account_id": str(account.id)})
    return TransactionCreated(user_id="u", operation_id=uuid.uuid4(), transaction=t)


def _inserted(batch: Batch) -> list[tuple]:
    return [row for statement, rows in batch.writes(SQL) if "INTO transactions " in statement for row in rows]


def _import_op(batch: Batch) -> dict:
    (op,) = [r["operation"] for r in batch.feed if r["kind"] == "operation" and r["operation"]["type"] == "import"]
    return op


def test_an_import_is_one_operation_of_new_matched_and_rejected_rows():
    account = _account()
    events = [AccountOpened(user_id="u", operation_id=uuid.uuid4(), account=account)]
    events += [_typed(account, "4.35", "2026-03-08")]
    events += _imports(account, [("2026-03-10", "-4.35"), ("2026-03-11", "-9.99"), ("2025-12-01", "-1.00")])
    batch = Batch(events, Loaded(), now_us=1, first_seq=1)
    op = _import_op(batch)
    assert (op["status"], op["applied"], op["matched"], op["duplicates"], op["rejected"]) == ("applied", 2, 1, 0, 1)
    assert op["resource"] == f"/api/imports/{events[2].import_id}"
    new = [row for row in _inserted(batch) if row[5] == "uncategorized"]
    assert [(row[1], row[3], row[5], row[13]) for row in new] == [
        (str(events[3].row.id), "9.99", "uncategorized", str(events[3].row.id))
    ]
    (typed,) = [row for row in _inserted(batch) if row[5] == "food"]
    assert typed[13] == str(events[2].row.id)  # created and linked in the same batch: written once, linked
    (rejection,) = [r for s, rows in batch.writes(SQL) if "operation_rejections" in s for r in rows]
    assert rejection[1] == 2 and "line 4: " in rejection[2] and "before_opening" in rejection[2]


def test_rows_of_a_later_batch_find_the_stored_ones_and_their_links():
    account = _account()
    op = uuid.uuid4()
    events = _imports(account, [("2026-03-08", "-3.20"), ("2026-03-08", "-3.20"), ("2026-03-09", "-1.00")], op=op)
    stored_account = rules.AccountRecord("u", Account(str(account.id), "Current", AccountType.checking, "EUR",
                                                      Decimal(0), dt.date(2026, 1, 1)), 1, 1)  # fmt: skip
    loaded = Loaded(accounts=AccountState())
    loaded.accounts.accounts[stored_account.key] = stored_account
    typed = Record(user_id="u", id=str(uuid.uuid4()), type="expense", amount=Decimal("3.20"), currency="EUR",
                   category="food", description=None, date=dt.date(2026, 3, 8), tags=(), version=1, deleted=False,
                   recorded_at=1, account_id=str(account.id), import_ref=str(events[0].row.id))  # fmt: skip
    imported = replace(typed, id=str(events[1].row.id), import_ref=str(events[1].row.id), category="uncategorized")
    loaded.records = {typed.key: typed, imported.key: imported}
    batch = Batch(events, loaded, now_us=2, first_seq=100)
    op = _import_op(batch)
    assert (op["applied"], op["duplicates"], op["matched"]) == (1, 2, 0)
    (row,) = _inserted(batch)
    assert row[1] == str(events[2].row.id)
