"""The rule for imported bank rows: new, duplicate, linked to a hand-entered transaction, or refused by the account."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared.domain.accounts import Account, AccountType
from shared.domain.bank_rows import BankRow
from shared.domain.events import TransactionImported
from shared.domain.ledger import Record
from shared.domain.ledger_imports import UNCATEGORIZED, import_rows

ACCOUNT = Account(str(uuid.uuid4()), "Current", AccountType.checking, "EUR", Decimal("0.00"), dt.date(2026, 1, 1))
IMPORT = uuid.uuid4()


def row(
    amount: str, day: str = "2026-03-10", *, line: int = 2, payee: str | None = "Bakery", **over
) -> TransactionImported:
    bank = BankRow(id=uuid.uuid4(), line=line, date=day, amount=amount, payee=payee, memo="card", **over)
    return TransactionImported(user_id="u", import_id=IMPORT, account_id=uuid.UUID(ACCOUNT.id), row=bank)


def hand_entered(amount: str, day: str, kind: str = "expense", **over) -> Record:
    fields = dict(user_id="u", id=str(uuid.uuid4()), type=kind, amount=Decimal(amount), currency="EUR",
                  category="food", description="bread", date=dt.date.fromisoformat(day), tags=(), version=1,
                  deleted=False, recorded_at=1, account_id=ACCOUNT.id)  # fmt: skip
    return Record(**{**fields, **over})


def run(events, *, account=ACCOUNT, known=(), candidates=()):
    return import_rows(events, account=account, known=set(known).__contains__, candidates=candidates, now_us=5)


def test_a_new_row_becomes_an_uncategorized_transaction_in_the_accounts_currency():
    out, income = run([row("-4.3"), row("2480", payee=None)])
    record = out.record
    assert (out.result.kind, out.result.linked) == ("applied", False)
    assert (record.type, record.amount, record.currency, record.category) == ("expense", Decimal("4.30"), "EUR",
                                                                              UNCATEGORIZED)  # fmt: skip
    assert str(record.amount) == "4.30" and record.import_ref == record.id and record.account_id == ACCOUNT.id
    assert (record.payee, record.description, record.version) == ("Bakery", "card", 1)
    assert (income.record.type, str(income.record.amount), income.record.payee) == ("income", "2480.00", None)


def test_a_row_whose_id_is_there_or_repeats_in_the_run_is_a_duplicate():
    first, again = row("-1.00"), row("-2.00")
    twice = again.model_copy(update={"event_id": uuid.uuid4()})
    outs = run([first, again, twice], known={str(first.row.id)})
    assert [o.result.kind for o in outs] == ["duplicate", "applied", "duplicate"]
    assert outs[0].record is None and outs[2].record is None


@pytest.mark.parametrize(
    ("account", "over", "code", "words"),
    [
        (None, {}, "not_found", "was not found"),
        (Account(ACCOUNT.id, "Old", AccountType.cash, "EUR", Decimal(0), dt.date(2026, 1, 1), closed=True), {},
         "closed", "is closed"),
        (ACCOUNT, {"currency": "USD"}, "currency_mismatch", "is in EUR"),
        (ACCOUNT, {"date": dt.date(2025, 12, 31)}, "before_opening", "before account 'Current' opened"),
        (Account(ACCOUNT.id, "Yen", AccountType.cash, "JPY", Decimal(0), dt.date(2026, 1, 1)), {}, "invalid",
         "JPY"),
    ],
)  # fmt: skip
def test_a_row_the_account_cannot_take_is_rejected_naming_its_line(account, over, code, words):
    event = row("-4.35", line=17)
    event = event.model_copy(update={"row": event.row.model_copy(update=over)})
    (out,) = run([event], account=account)
    rejection = out.result.rejection
    assert (out.result.kind, rejection.code) == ("rejected", code) and out.record is None
    assert rejection.detail.startswith("line 17: ") and words in rejection.detail


def test_a_hand_entered_row_within_five_days_is_linked_not_doubled():
    typed = hand_entered("4.35", "2026-03-07", payee=None)
    (out,) = run([row("-4.35", "2026-03-10")], candidates=[typed])
    assert (out.result.kind, out.result.linked) == ("applied", True)
    linked = out.record
    assert (linked.id, linked.version, linked.category, linked.description) == (typed.id, 2, "food", "bread")
    assert linked.import_ref is not None and linked.import_ref != typed.id and linked.payee == "Bakery"


@pytest.mark.parametrize(
    ("candidate", "linked"),
    [
        (hand_entered("4.35", "2026-03-04"), False),  # six days apart
        (hand_entered("4.35", "2026-03-10", kind="income"), False),  # money in, not out
        (hand_entered("4.36", "2026-03-10"), False),  # another amount
        (hand_entered("4.350", "2026-03-15", payee="Kept"), True),  # the same amount, five days on
    ],
)
def test_only_the_same_signed_amount_within_the_window_links(candidate, linked):
    (out,) = run([row("-4.35", "2026-03-10")], candidates=[candidate])
    assert out.result.linked is linked
    assert (out.record.id == candidate.id) is linked
    if linked:
        assert out.record.payee == "Kept"  # a payee typed by hand stays


def test_each_candidate_takes_one_row_and_matching_can_be_turned_off():
    typed = hand_entered("3.20", "2026-03-08")
    coffees = [row("-3.20", "2026-03-08"), row("-3.20", "2026-03-08")]
    assert [o.result.linked for o in run(coffees, candidates=[typed])] == [True, False]
    off = [e.model_copy(update={"match": False}) for e in coffees]
    assert [o.result.linked for o in run(off, candidates=[typed])] == [False, False]


def test_a_refused_or_duplicate_row_takes_no_candidate():
    typed = hand_entered("3.20", "2026-03-08")
    seen, wrong = row("-3.20", "2026-03-08"), row("-3.20", "2026-03-08", currency="USD")
    outs = run([seen, wrong, row("-3.20", "2026-03-09")], known={str(seen.row.id)}, candidates=[typed])
    assert [(o.result.kind, o.result.linked) for o in outs] == [("duplicate", False), ("rejected", False),
                                                               ("applied", True)]  # fmt: skip
