"""Balances and net worth, exact to the last digit."""

import datetime as dt
import random
import uuid
from decimal import Decimal

from shared.domain.accounts import Account, AccountType, NewTransfer
from shared.domain.balances import (
    Entry,
    Position,
    balance,
    month_end_balances,
    monthly_changes,
    net_worth,
    running_balances,
    signed,
    transfer_entries,
)
from shared.domain.transactions import Kind

D = Decimal


def account(kind="checking", currency="EUR", opening="0.00", opened=dt.date(2026, 1, 1), closed=False) -> Account:
    return Account(str(uuid.uuid4()), kind, AccountType(kind), currency, D(opening), opened, closed)


def test_income_adds_and_expense_subtracts():
    assert signed(Kind.income, D("12.50")) == D("12.50")
    assert signed(Kind.expense, D("12.50")) == D("-12.50")


def test_a_transfer_moves_each_side_by_its_own_amount():
    t = NewTransfer.model_validate(
        {
            "from_account": str(uuid.uuid4()),
            "to_account": str(uuid.uuid4()),
            "amount": "100.00",
            "to_amount": "108.66",
            "date": "2026-03-01",
        }
    )
    out, into = transfer_entries(t)
    assert (out.account_id, out.amount) == (str(t.from_account), D("-100.00"))
    assert (into.account_id, into.amount) == (str(t.to_account), D("108.66"))
    assert out.day == into.day == dt.date(2026, 3, 1)


def test_balances_after_a_thousand_random_movements_equal_a_count_in_cents():
    rng = random.Random(12)
    accounts = [account(opening=o) for o in ("1200.50", "-350.00", "0.00")]
    cents = {a.id: int(a.opening_balance * 100) for a in accounts}
    entries: list[Entry] = []
    for _ in range(1_000):
        amount = rng.randint(1, 500_000)
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
        if rng.random() < 0.3:
            a, b = rng.sample(accounts, 2)
            t = NewTransfer(
                from_account=uuid.UUID(a.id), to_account=uuid.UUID(b.id), amount=f"{amount / 100:.2f}", date=day
            )
            entries.extend(transfer_entries(t))
            cents[a.id] -= amount
            cents[b.id] += amount
        else:
            a, kind = rng.choice(accounts), rng.choice(list(Kind))
            entries.append(Entry(a.id, day, signed(kind, D(amount).scaleb(-2))))
            cents[a.id] += amount if kind is Kind.income else -amount
    for a in accounts:
        got = balance(a.opening_balance, (e.amount for e in entries if e.account_id == a.id))
        assert got == D(cents[a.id]).scaleb(-2)
        mine = sorted((e for e in entries if e.account_id == a.id), key=lambda e: e.day)
        assert running_balances(a.opening_balance, [e.amount for e in mine])[-1] == got
        ends = month_end_balances(a, monthly_changes(entries).get(a.id, {}), ["2026-12"])
        assert ends == {"2026-12": got}


def test_a_running_balance_starts_from_the_balance_before_the_page():
    assert running_balances(D("100.00"), [D("-30.00"), D("5.25"), D("-75.25")]) == [D("70.00"), D("75.25"), D("0.00")]
    assert running_balances(D("1.00"), []) == []


def test_month_ends_carry_the_balance_through_quiet_months_and_start_with_the_opening_month():
    a = account(opening="100.00", opened=dt.date(2026, 2, 10))
    changes = {"2026-02": D("-20.00"), "2026-04": D("5.00"), "2026-07": D("1000.00")}
    months = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert month_end_balances(a, changes, months) == {
        "2026-02": D("80.00"),
        "2026-03": D("80.00"),
        "2026-04": D("85.00"),
        "2026-05": D("85.00"),
    }


def test_monthly_changes_sum_each_accounts_movements_per_month():
    entries = [
        Entry("a", dt.date(2026, 1, 31), D("10.00")),
        Entry("a", dt.date(2026, 1, 1), D("-2.50")),
        Entry("a", dt.date(2026, 2, 1), D("1.00")),
        Entry("b", dt.date(2026, 1, 15), D("-7.00")),
    ]
    assert monthly_changes(entries) == {"a": {"2026-01": D("7.50"), "2026-02": D("1.00")}, "b": {"2026-01": D("-7.00")}}


def test_net_worth_sums_month_ends_per_currency_with_liabilities_apart():
    checking = account(opening="1000.00")
    card = account("credit_card", opening="-200.00")
    dollars = account("savings", "USD", "500.00", opened=dt.date(2026, 2, 1))
    loan = account("loan", opening="-5000.00", closed=True)
    changes = {
        checking.id: {"2026-01": D("-100.00"), "2026-02": D("250.00")},
        card.id: {"2026-02": D("-50.00")},
        loan.id: {"2026-02": D("5000.00")},  # paid off and closed: it still counts, at zero
    }
    worth = net_worth([checking, card, dollars, loan], changes, ["2026-01", "2026-02"])
    assert worth == {
        "2026-01": {"EUR": Position(D("900.00"), D("-5200.00"))},
        "2026-02": {"EUR": Position(D("1150.00"), D("-250.00")), "USD": Position(D("500.00"), D("0"))},
    }
    assert worth["2026-02"]["EUR"].to_json("EUR") == {"assets": "1150.00", "liabilities": "-250.00", "net": "900.00"}


def test_net_worth_equals_the_sum_of_month_end_balances():
    rng = random.Random(7)
    accounts = [
        account(rng.choice(list(AccountType)).value, opening=f"{rng.randint(-9999, 9999)}.00") for _ in range(6)
    ]
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    changes = {a.id: {m: D(rng.randint(-50_000, 50_000)).scaleb(-2) for m in months} for a in accounts}
    worth = net_worth(accounts, changes, months)
    for month in months:
        ends = [month_end_balances(a, changes[a.id], months)[month] for a in accounts]
        assert worth[month]["EUR"].net == sum(ends)


def test_a_month_before_any_account_opened_has_no_net_worth():
    assert net_worth([account(opened=dt.date(2026, 5, 1))], {}, ["2026-04"]) == {"2026-04": {}}
