"""The budget-status report over an in-memory store: an account-set budget counts the expense parts booked in its
accounts only; a global one its whole category; a snapshot published before budgets named accounts reads global."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from shared.adapters.analytics.budget_report import budget_status
from shared.adapters.analytics.reports import QueryContext
from shared.adapters.analytics.schema import DDL
from shared.domain.report_params import MonthReport

CARD, CASH = "a-card", "b-cash"


def store(*, with_accounts: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    for statement in DDL:
        conn.execute(statement.replace("accounts TEXT,", "") if not with_accounts else statement)
    return conn


def add(conn, tid: str, kind: str, e4: int, category: str, account: str | None, splits=()) -> None:
    conn.execute(
        "INSERT INTO transactions VALUES ('u', ?, ?, ?, 'EUR', ?, NULL, '2026-06-03', '2026-06', '[]', 1, 1, 1, ?)",
        (tid, kind, e4, category, account),
    )
    for idx, (part_category, part_e4) in enumerate(splits):
        conn.execute("INSERT INTO transaction_splits VALUES ('u', ?, ?, ?, ?)", (tid, idx, part_category, part_e4))
    for part_category, part_e4 in splits or [(category, e4)]:
        column = "expense_e4" if kind == "expense" else "income_e4"
        conn.execute(
            f"INSERT INTO monthly_totals (user_id, month, category, currency, {column}, count, transactions) "
            f"VALUES ('u', '2026-06', ?, 'EUR', ?, 1, 1) "
            f"ON CONFLICT DO UPDATE SET {column} = {column} + excluded.{column}",
            (part_category, part_e4),
        )


def report(conn) -> dict:
    ctx = QueryContext(conn=conn, user_id="u", now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    return {b["category"]: b for b in budget_status(ctx, MonthReport(month="2026-06"))["budgets"]}


@pytest.fixture
def filled() -> sqlite3.Connection:
    conn = store()
    add(conn, "t1", "expense", 400_000, "food", CASH)
    add(conn, "t2", "expense", 700_000, "shopping", CARD, splits=[("food", 500_000), ("home", 200_000)])
    add(conn, "t3", "expense", 150_000, "food", CARD)
    add(conn, "t4", "income", 90_000, "food", CARD)
    add(conn, "t5", "expense", 20_000, "food", None)
    return conn


def test_an_account_set_budget_counts_the_parts_booked_in_its_accounts(filled):
    filled.execute("INSERT INTO budgets VALUES ('u', 'food', '2026-06', 1000000, 'EUR', 1, 9, ?)", (f'["{CARD}"]',))
    filled.execute("INSERT INTO user_settings VALUES ('u', 'EUR', 1, 1)")  # converted to the home currency too
    food = report(filled)["food"]
    assert (food["accounts"], food["spent"], food["remaining"], food["share_used"]) == (
        [CARD], "65.00", "35.00", "0.6500",
    )  # fmt: skip
    assert food["converted"]["spent"] == "65.00"


def test_a_global_budget_counts_every_expense_of_its_category(filled):
    filled.execute("INSERT INTO budgets VALUES ('u', 'food', '2026-06', 1000000, 'EUR', 1, 9, NULL)")
    food = report(filled)["food"]
    assert (food["accounts"], food["spent"], food["over_budget"]) == (None, "107.00", True)


def test_a_snapshot_from_before_account_sets_reads_its_budgets_as_global():
    conn = store(with_accounts=False)
    add(conn, "t1", "expense", 400_000, "food", CASH)
    conn.execute("INSERT INTO budgets VALUES ('u', 'food', '2026-06', 1000000, 'EUR', 1, 9)")
    assert (report(conn)["food"]["accounts"], report(conn)["food"]["spent"]) == (None, "40.00")
