"""The budget-status report: each budget of a month against what was spent, and the spending no budget covers.

A global budget counts every expense of its category in its currency (`monthly_totals`). One that names an
account set counts only the parts (splits each under its own category) of expenses booked in those accounts;
transfers are never expenses. Amounts stay integers scaled by 10^4 until they leave as decimal strings.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any

import orjson

from shared.adapters.analytics.conversion import Part, conversion, grouped, parts, rate_day
from shared.adapters.analytics.reports import QueryContext, money, month_start, share
from shared.adapters.analytics.schema import from_e4
from shared.domain.calendar import month_end
from shared.domain.report_params import MonthReport


def budget_status(ctx: QueryContext, p: MonthReport) -> dict[str, Any]:
    # A snapshot published before budgets named accounts has no such column: all its budgets are global.
    accounts = "b.accounts" if _has_accounts(ctx.conn) else "NULL"
    budgets = ctx.conn.execute(
        f"SELECT b.category, b.currency, b.amount_e4 AS budget, {accounts} AS accounts, "
        "COALESCE(t.expense_e4, 0) AS spent "
        "FROM budgets AS b LEFT JOIN monthly_totals AS t ON t.user_id = b.user_id AND t.month = b.month "
        "AND t.category = b.category AND t.currency = b.currency "
        "WHERE b.user_id = ? AND b.month = ? ORDER BY b.category",
        (ctx.user_id, p.month),
    ).fetchall()
    sets = {b["category"]: frozenset(orjson.loads(b["accounts"])) for b in budgets if b["accounts"]}
    in_accounts = _parts_in_accounts(ctx, p.month) if sets else []

    def counted(category: str, currency: str) -> list[tuple[int, Part]]:
        """The parts an account-set budget counts: its category and currency, booked in one of its accounts."""
        key, accounts = (category, currency), sets[category]
        return [(e4, x) for e4, x, a in in_accounts if (x.category, x.currency) == key and a in accounts]

    rows = []
    for b in budgets:
        spent = b["spent"] if b["category"] not in sets else sum(e4 for e4, _ in counted(b["category"], b["currency"]))
        rows.append(
            {
                "category": b["category"],
                "currency": b["currency"],
                "accounts": sorted(sets[b["category"]]) if b["category"] in sets else None,
                "budget": money(b["budget"], b["currency"]),
                "spent": money(spent, b["currency"]),
                "remaining": money(b["budget"] - spent, b["currency"]),
                "share_used": share(spent, b["budget"]),
                "over_budget": spent > b["budget"],
            }
        )
    budgeted = {(b["category"], b["currency"]) for b in budgets}
    spending = ctx.conn.execute(
        "SELECT category, currency, expense_e4 AS spent FROM monthly_totals "
        "WHERE user_id = ? AND month = ? AND expense_e4 > 0 ORDER BY category, currency",
        (ctx.user_id, p.month),
    ).fetchall()
    data = {
        "month": p.month,
        "budgets": rows,
        # Expenses no budget covers (another category, or another currency than the category's budget).
        "unbudgeted": [
            {"category": s["category"], "currency": s["currency"], "spent": money(s["spent"], s["currency"])}
            for s in spending
            if (s["category"], s["currency"]) not in budgeted
        ],
    }
    if conv := conversion(ctx.conn, ctx.user_id, p.convert_to):
        month_parts = parts(ctx.conn, ctx.user_id, month_start(p.month), month_end(p.month))
        spent_parts = grouped([x for x in month_parts if x.type == "expense"], lambda x: (x.category, x.currency))
        day = rate_day(month_end(p.month), ctx.now.date())  # a budget is converted at its month's end
        for b in data["budgets"]:
            key = (b["category"], b["currency"])
            of_budget = spent_parts.get(key, []) if b["accounts"] is None else [x for _, x in counted(*key)]
            b["converted"] = conv.budget(Decimal(b["budget"]), b["currency"], day, of_budget)
        for u in data["unbudgeted"]:
            u["converted"] = conv.amounts(spent=[x.item for x in spent_parts.get((u["category"], u["currency"]), [])])
    return data


def _has_accounts(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "accounts" for row in conn.execute("PRAGMA table_info(budgets)"))


def _parts_in_accounts(ctx: QueryContext, month: str) -> list[tuple[int, Part, str]]:
    """The month's expense parts booked in an account: (amount_e4, the part, its account id)."""
    rows = ctx.conn.execute(
        "SELECT p.type, p.category, p.currency, p.booking_date, p.amount_e4, p.month, t.account_id "
        "FROM transaction_parts AS p JOIN transactions AS t ON t.user_id = p.user_id AND t.id = p.transaction_id "
        "WHERE p.user_id = ? AND p.booking_date BETWEEN ? AND ? AND p.type = 'expense' AND t.account_id IS NOT NULL",
        (ctx.user_id, month_start(month).isoformat(), month_end(month).isoformat()),
    )
    return [
        (e4, Part(kind, category, currency, dt.date.fromisoformat(day), from_e4(e4), m), account)
        for kind, category, currency, day, e4, m, account in rows
    ]
