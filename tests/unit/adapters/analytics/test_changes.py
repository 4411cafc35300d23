"""The sync's pure rules: MySQL rows as store rows, and what a page of changes does to the totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shared.adapters.analytics.changes import Change, StoreRow, budget_tuple, change_from_source, plan_page, store_row


def source(
    *,
    id="t1",
    type="expense",
    amount=Decimal("12.5000"),
    currency="EUR",
    category="fun",
    booking_date=dt.date(2026, 3, 31),
    seq=10,
    deleted=0,
    user="u",
    account=None,
    splits=None,
) -> tuple:
    """A row as MySQL returns it, in SOURCE_COLUMNS order."""
    return (
        user,
        id,
        type,
        amount,
        currency,
        category,
        None,
        booking_date,
        '["a"]',
        1,
        2,
        seq,
        deleted,
        account,
        splits,
    )


def row(**kw) -> StoreRow:
    return change_from_source(source(**kw)).row


def test_a_mysql_row_becomes_a_store_row_with_exact_e4_money_and_its_month():
    r = change_from_source(source(amount=Decimal("0.0001"), booking_date=dt.date(2026, 1, 2)))
    assert r.row.amount_e4 == 1
    assert (r.row.booking_date, r.row.month) == ("2026-01-02", "2026-01")
    assert r.deleted is False


def test_text_amounts_and_dates_from_the_sqlite_stand_in_convert_the_same_way():
    from_text = store_row(source(amount="999999999999.9999", booking_date="2026-12-01"))
    from_mysql = store_row(source(amount=Decimal("999999999999.9999"), booking_date=dt.date(2026, 12, 1)))
    assert from_text == from_mysql
    assert from_text.amount_e4 == 9_999_999_999_999_999


def test_a_budget_row_converts_its_amount_exactly():
    accounts = '["a1"]'
    assert budget_tuple(("u", "fun", "2026-05", Decimal("80.0000"), "EUR", accounts, 7, 8)) == (
        "u",
        "fun",
        "2026-05",
        800_000,
        "EUR",
        accounts,
        7,
        8,
    )


def test_a_new_row_adds_its_contribution():
    plan = plan_page([Change(row(), False)], {})
    assert [r.id for r in plan.upserts] == ["t1"]
    assert plan.changed_totals() == [(("u", "2026-03", "fun", "EUR"), [0, 125_000, 1, 1])]
    assert (plan.live_delta, plan.applied, plan.skipped) == (1, 1, 0)


def test_an_update_subtracts_the_old_version_and_adds_the_new():
    old = row(seq=10, amount=Decimal("12.5"), type="expense")
    new = row(seq=20, amount=Decimal("3"), type="income", category="salary")
    plan = plan_page([Change(new, False)], {old.key: old})
    assert dict(plan.changed_totals()) == {
        ("u", "2026-03", "fun", "EUR"): [0, -125_000, -1, -1],
        ("u", "2026-03", "salary", "EUR"): [30_000, 0, 1, 1],
    }
    assert plan.live_delta == 0


def test_an_update_that_moves_no_money_changes_no_totals():
    old = row(seq=10)
    plan = plan_page([Change(row(seq=11), False)], {old.key: old})
    assert plan.upserts and plan.changed_totals() == []


def test_a_deletion_subtracts_what_the_store_held():
    old = row(seq=10, amount=Decimal("12.5"))
    plan = plan_page([Change(row(seq=30, amount=Decimal("99")), True)], {old.key: old})
    assert plan.deletes == [("u", "t1")]
    assert plan.changed_totals() == [(("u", "2026-03", "fun", "EUR"), [0, -125_000, -1, -1])]
    assert plan.live_delta == -1


def test_a_deletion_of_a_row_the_store_never_had_changes_nothing():
    plan = plan_page([Change(row(seq=30), True)], {})
    assert (plan.deletes, plan.totals, plan.applied, plan.skipped) == ([], {}, 0, 1)


def test_a_change_the_store_already_reflects_is_skipped():
    held = row(seq=30)
    plan = plan_page([Change(row(seq=30), False), Change(row(id="t2", seq=5), False)], {held.key: held})
    assert [r.id for r in plan.upserts] == ["t2"]
    assert plan.skipped == 1
