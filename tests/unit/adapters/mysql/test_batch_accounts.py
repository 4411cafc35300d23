"""A stored batch in memory (no database): events applied in broker order, each over the accounts as the earlier
ones in the batch left them, with their writes, outcomes and change records."""

from __future__ import annotations

import uuid

from shared.adapters.mysql.batch import Batch, Loaded
from shared.adapters.mysql.sql import dialect_sql
from shared.domain.accounts import AccountChanges, NewAccount, NewTransfer
from shared.domain.events import AccountChanged, AccountOpened, BudgetSet, TransactionCreated, TransferCreated
from shared.domain.transactions import Budget, NewTransaction

SQL = dialect_sql(mysql=True)


def _op(event, **over):
    return event.model_copy(update={"operation_id": uuid.uuid4(), **over})


def _account(name: str, currency: str = "EUR") -> NewAccount:
    body = {"name": name, "type": "checking", "currency": currency, "opening_balance": "0"}
    return NewAccount.model_validate({**body, "opening_date": "2026-01-01"})


def _expense(account: NewAccount, **over) -> TransactionCreated:
    body = {"type": "expense", "amount": "10.00", "currency": "EUR", "category": "food", "date": "2026-02-01"}
    transaction = NewTransaction.model_validate({**body, "account_id": str(account.id), **over})
    return _op(TransactionCreated(user_id="u", transaction=transaction))


def _rows(batch: Batch, table: str) -> list[tuple]:
    return [row for statement, rows in batch.writes(SQL) if f"INTO {table} " in statement for row in rows]


def test_an_account_opened_earlier_in_the_batch_takes_the_transactions_after_it():
    account = _account("Current")
    events = [_expense(account), _op(AccountOpened(user_id="u", account=account)), _expense(account)]
    batch = Batch(events, Loaded(), now_us=1, first_seq=10)
    assert (batch.applied, batch.rejected) == (2, 1)  # the first came before its account existed: not_found
    kinds = [r["kind"] for r in batch.feed]
    assert kinds[:2] == ["account", "transaction"] and kinds.count("operation") == 3
    assert [r["seq"] for r in batch.feed] == list(range(10, 10 + len(batch.feed)))
    statements = [statement.split(" (")[0] for statement, rows in batch.writes(SQL) if rows]
    assert statements.index("INSERT INTO accounts") < statements.index("INSERT INTO transactions")


def test_a_close_earlier_in_the_batch_refuses_the_transfer_after_it():
    a, b = _account("A"), _account("B")
    transfer = NewTransfer.model_validate(
        {"from_account": str(a.id), "to_account": str(b.id), "amount": "5", "date": "2026-02-01"}
    )
    close = AccountChanged(user_id="u", account_id=b.id, changes=AccountChanges(closed=True))
    events = [_op(AccountOpened(user_id="u", account=a)), _op(AccountOpened(user_id="u", account=b))]
    events += [_op(TransferCreated(user_id="u", transfer=transfer)), _op(close)]
    events += [_op(TransferCreated(user_id="u", transfer=transfer.model_copy(update={"id": uuid.uuid4()})))]
    batch = Batch(events, Loaded(), now_us=1, first_seq=1)
    assert (batch.applied, batch.rejected) == (4, 1)
    (transfer_row,) = _rows(batch, "transfers")
    assert transfer_row[4:8] == ("5.00", "5.00", "EUR", "EUR")  # one row, both legs stated
    refused = [r for r in batch.feed if r["kind"] == "operation" and r["operation"]["status"] == "rejected"]
    assert [r["operation"]["type"] for r in refused] == ["transfer.create"]


def test_a_split_transactions_parts_are_written_with_its_row_and_its_change_record():
    account = _account("Current")
    parts = [{"category": "food", "amount": "7"}, {"category": "soap", "amount": "3"}]
    events = [_op(AccountOpened(user_id="u", account=account)), _expense(account, splits=parts, payee="Shop")]
    batch = Batch(events, Loaded(), now_us=1, first_seq=1)
    (row,) = _rows(batch, "transactions")
    assert row[-3:] == (
        str(account.id),
        "Shop",
        '[{"category":"food","amount":"7.00","description":null},'
        '{"category":"soap","amount":"3.00","description":null}]',
    )
    (change,) = [r for r in batch.feed if r["kind"] == "transaction"]
    assert change["after"]["account_id"] == str(account.id)
    assert [p["amount"] for p in change["after"]["splits"]] == ["7.00", "3.00"]


def _budget(amount: str, accounts: list[str] | None) -> BudgetSet:
    body = {"category": "food", "month": "2026-02", "currency": "EUR", "amount": amount, "accounts": accounts}
    return _op(BudgetSet(user_id="u", budget=Budget.model_validate(body)))


def test_a_budget_naming_an_account_not_theirs_is_refused_and_the_one_before_it_stays():
    card = _account("Card")
    stranger = str(uuid.uuid4())
    events = [_op(AccountOpened(user_id="u", account=card)), _budget("80", [str(card.id)])]
    events += [_budget("90", [str(card.id), stranger])]
    batch = Batch(events, Loaded(), now_us=1, first_seq=1)
    assert (batch.applied, batch.rejected) == (2, 1)
    (row,) = _rows(batch, "budgets")
    assert row[3:6] == ("80.00", "EUR", f'["{card.id}"]')
    (change,) = [r for r in batch.feed if r["kind"] == "budget"]
    assert (change["amount"], change["accounts"]) == ("80.00", [str(card.id)])
    (rejection,) = [r for statement, rows in batch.writes(SQL) if "operation_rejections" in statement for r in rows]
    assert stranger in rejection[2] and '"not_found"' in rejection[2]
