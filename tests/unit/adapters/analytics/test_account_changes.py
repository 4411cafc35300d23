"""The sync's rules for splits, accounts and transfers: parts in the totals, signed entries in the accounts'
months, transfers in the months and never in the totals, and copies converted exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import orjson

from shared.adapters.analytics.account_changes import (
    account_tuple,
    plan_transfers,
    rate_tuple,
    transfer_from_source,
)
from shared.adapters.analytics.changes import Change, change_from_source, plan_page
from tests.unit.adapters.analytics.test_changes import source

SPLITS = orjson.dumps(
    [{"category": "food", "amount": "7.50", "description": None}, {"category": "home", "amount": "5.00"}]
).decode()


def tx(**kw):
    return change_from_source(source(**kw)).row


def transfer(*, seq=40, deleted=0, amount=Decimal("100.0000"), to_amount=Decimal("108.6600"), day=dt.date(2026, 5, 31)):
    return transfer_from_source(
        ("u", "x1", "eur-acct", "usd-acct", amount, to_amount, "EUR", "USD", day, None, 1, 1, seq, deleted)
    )


def test_a_split_transaction_counts_each_part_under_its_category_and_itself_once():
    plan = plan_page([Change(tx(amount=Decimal("12.5000"), splits=SPLITS), False)], {})
    assert dict(plan.changed_totals()) == {
        ("u", "2026-03", "food", "EUR"): [0, 75_000, 1, 1],  # the first part carries the transaction's count
        ("u", "2026-03", "home", "EUR"): [0, 50_000, 1, 0],
    }
    assert plan.upserts[0].split_rows() == [("u", "t1", 0, "food", 75_000), ("u", "t1", 1, "home", 50_000)]


def test_changing_the_splits_moves_the_parts_between_categories():
    old = tx(seq=10, splits=SPLITS)
    new = tx(seq=11)  # no longer split: the whole amount under its own category
    plan = plan_page([Change(new, False)], {old.key: old})
    assert dict(plan.changed_totals()) == {
        ("u", "2026-03", "food", "EUR"): [0, -75_000, -1, -1],
        ("u", "2026-03", "home", "EUR"): [0, -50_000, -1, 0],
        ("u", "2026-03", "fun", "EUR"): [0, 125_000, 1, 1],
    }
    assert plan.replaced() == [("u", "t1")]  # its split rows go; the new version has none


def test_an_entry_in_an_account_moves_its_month_by_its_signed_amount():
    plan = plan_page(
        [Change(tx(type="expense", account="a1"), False), Change(tx(id="t2", type="income", account="a1"), False)], {}
    )
    assert plan.changed_months() == [(("u", "a1", "2026-03"), [0, 2])]  # 12.50 out, 12.50 in: two entries
    moved = plan_page([Change(tx(seq=20, account="a2", booking_date=dt.date(2026, 4, 1)), False)], {})
    assert moved.changed_months() == [(("u", "a2", "2026-04"), [-125_000, 1])]


def test_moving_an_entry_to_another_account_subtracts_it_from_the_first():
    old = tx(seq=10, account="a1")
    plan = plan_page([Change(tx(seq=11, account="a2"), False)], {old.key: old})
    assert dict(plan.changed_months()) == {("u", "a1", "2026-03"): [125_000, -1], ("u", "a2", "2026-03"): [-125_000, 1]}
    assert plan.changed_totals() == []  # the same expense, in another account: no total moves


def test_a_transfer_moves_each_account_by_its_own_amount():
    plan = plan_transfers([transfer()], {})
    assert dict(plan.changed_months()) == {
        ("u", "eur-acct", "2026-05"): [-1_000_000, 1],
        ("u", "usd-acct", "2026-05"): [1_086_600, 1],
    }


def test_deleting_a_transfer_takes_back_both_legs_and_a_replay_changes_nothing():
    held, _ = transfer(seq=40)
    gone = plan_transfers([transfer(seq=41, deleted=1)], {held.key: held})
    assert gone.deletes == [("u", "x1")]
    assert dict(gone.changed_months()) == {
        ("u", "eur-acct", "2026-05"): [1_000_000, -1],
        ("u", "usd-acct", "2026-05"): [-1_086_600, -1],
    }
    again = plan_transfers([transfer(seq=40)], {held.key: held})
    assert (again.applied, again.skipped, again.months) == (0, 1, {})


def test_a_transfer_created_and_deleted_between_runs_never_shows():
    plan = plan_transfers([transfer(deleted=1)], {})
    assert (plan.upserts, plan.deletes, plan.months, plan.skipped) == ([], [], {}, 1)


def test_an_account_and_a_rate_are_copied_exactly():
    row = ("u", "a1", "Card", "credit_card", "EUR", Decimal("-200.0000"), dt.date(2026, 1, 1), 1, 3, 77)
    assert account_tuple(row) == ("u", "a1", "Card", "credit_card", "EUR", -2_000_000, "2026-01-01", 1, 3, 77)
    assert rate_tuple(("JPY", dt.date(2024, 5, 17), Decimal("169.3000000000"), "upload", 9)) == (
        "JPY", "2024-05-17", "169.3", "upload", 9,
    )  # fmt: skip
    assert rate_tuple(("USD", "2024-05-17", "1.0866", "ecb-daily", 9))[2] == "1.0866"  # SQLite stand-in: text
